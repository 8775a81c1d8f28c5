import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { ShutdownService } from '../../src/common/lifecycle/shutdown.service.js';
import { startTestApp } from '../support/test-app.js';

interface Report {
  answered: number;
  refused: number;
  /** The client ports of requests that were written and then dropped without an answer. */
  reset: number[];
}

/**
 * Clients in a process of their own, as real ones are (in the server's event loop a connect
 * would complete before the server could ever accept it). Each sends one request per fresh
 * connection, written as soon as it connects, pausing 5 ms between requests, until it is
 * refused; the report counts answers (any HTTP status) and refusals, and names the resets.
 */
const CLIENTS = `
const { connect } = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const report = { answered: 0, refused: 0, reset: [] };
const request = () => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1');
  let written = false;
  let received = '';
  let localPort;
  socket.on('connect', () => {
    written = true;
    localPort = socket.localPort;
    socket.write('GET /health/live HTTP/1.1\\r\\nHost: api\\r\\nConnection: close\\r\\n\\r\\n');
  });
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (received.startsWith('HTTP/1.1 ')) report.answered += 1;
    else if (written) report.reset.push(localPort);
    else report.refused += 1;
    resolve(!written);
  });
});
const client = async () => {
  while (!(await request())) await new Promise((resolve) => setTimeout(resolve, 5));
};
process.stdout.write('go\\n');
Promise.all(Array.from({ length: count }, client)).then(() =>
  process.stdout.write(JSON.stringify(report) + '\\n'));
`;

/** Starts the clients; resolves once they run, with their report when all were refused. */
function startClients(port: number, count: number): Promise<{ report: Promise<Report> }> {
  const child = spawn(process.execPath, ['-e', CLIENTS, String(port), String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  return new Promise((started) => {
    const report = new Promise<Report>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output === 'go\n') started({ report });
      });
      // 'close', not 'exit': the report is complete only once stdout has ended.
      child.on('close', () => {
        try {
          resolve(JSON.parse(output.trim().split('\n').pop() ?? '') as Report);
        } catch {
          reject(new Error(`the clients ended without a report: ${output}`));
        }
      });
    });
  });
}

describe('shutdown under traffic', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  // Issue 10, item 15: when the drain is over the listener is closed before anything else, so
  // a late request is refused (or answered), never accepted and then reset unread. (A
  // connection still in the kernel's accept queue at the instant the listener closes is reset
  // by the kernel whatever the server does; it was never accepted, so it is told apart by its
  // port and not counted.)
  it('answers or refuses every request sent around the drain, over 20 shutdowns', async () => {
    let answered = 0;
    const resetAfterAccept: number[] = [];
    const listeningAfterDrain: boolean[] = [];
    // Generous: each shutdown starts an app, and the machine may be busy with other suites.
    const deadline = Date.now() + 100_000;
    let shutdowns = 0;
    while (shutdowns < 20 && Date.now() < deadline) {
      const api = await startTestApp({
        databaseUrl: database.url,
        env: { SHUTDOWN_DRAIN_MS: '50' },
      });
      const server = api.app.getHttpServer() as Server;
      const accepted = new Set<number>();
      server.on('connection', (socket: Socket) => accepted.add(socket.remotePort!));
      const shutdown = api.app.get(ShutdownService);
      const drain = shutdown.beforeApplicationShutdown.bind(shutdown);
      shutdown.beforeApplicationShutdown = async (signal?: string) => {
        await drain(signal);
        listeningAfterDrain.push(server.listening);
      };
      const { report } = await startClients(Number(new URL(api.url).port), 4);
      await api.close();
      const outcome = await report;
      answered += outcome.answered;
      resetAfterAccept.push(...outcome.reset.filter((port) => accepted.has(port)));
      shutdowns += 1;
    }
    expect(shutdowns).toBe(20);
    expect(answered).toBeGreaterThan(0);
    expect(listeningAfterDrain).toEqual(Array.from({ length: 20 }, () => false));
    expect(resetAfterAccept).toEqual([]);
  }, 120_000);
});
