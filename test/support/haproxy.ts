import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.js';
import { freePort } from './server-process.js';

/** Debian's HAProxy (apt-get install haproxy); .ci/run installs it. */
export const HAPROXY = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

/** The example configuration the tests run, so what is shipped is what is tested. */
export const HAPROXY_CONFIG = 'docker/haproxy.cfg';

/** One server's line of `show stat`: its health as HAProxy sees it, and what it served. */
export interface ServerStat {
  backend: string;
  server: string;
  /** UP, DOWN, or a transition such as "UP 1/2" (one failed check of the two that count). */
  status: string;
  /** Responses it returned (health checks not included). */
  responses: number;
  /** Connection attempts to it that were retried, and requests moved away from it. */
  retries: number;
  redispatches: number;
}

/**
 * `docker/haproxy.cfg` for processes on this machine: the frontend listens on `port`, the
 * stats socket is `socket`, and each `server-template` becomes one `server` per backend URL
 * (named as the template would name them: api1, api2...) with the template's settings. The
 * Docker DNS resolvers are dropped. Anything else is run as written.
 */
export function renderHaproxyConfig(
  template: string,
  { port, socket, backends }: { port: number; socket: string; backends: string[] },
): string {
  const lines: string[] = [];
  let section = '';
  const replaced = { bind: 0, socket: 0, servers: 0 };
  for (const line of template.split('\n')) {
    const trimmed = line.trim();
    if (/^\S/.test(line)) section = trimmed.split(/\s+/)[0];
    if (section === 'resolvers') continue;
    const indent = line.slice(0, line.length - line.trimStart().length);
    if (trimmed.startsWith('stats socket ')) {
      lines.push(`${indent}stats socket ${socket} mode 600 level admin`);
      replaced.socket += 1;
    } else if (trimmed.startsWith('bind ')) {
      lines.push(`${indent}bind 127.0.0.1:${port}`);
      replaced.bind += 1;
    } else if (trimmed.startsWith('server-template ')) {
      const [, prefix, , , ...settings] = trimmed.split(/\s+/);
      const kept: string[] = [];
      for (let i = 0; i < settings.length; i++) {
        // Both take one argument; neither applies to a fixed address.
        if (settings[i] === 'resolvers' || settings[i] === 'init-addr') i += 1;
        else kept.push(settings[i]);
      }
      backends.forEach((backend, i) => {
        const { hostname, port: backendPort } = new URL(backend);
        lines.push(
          `${indent}server ${prefix}${i + 1} ${hostname}:${backendPort} ${kept.join(' ')}`,
        );
      });
      replaced.servers += 1;
    } else {
      lines.push(line);
    }
  }
  if (replaced.bind !== 1 || replaced.socket !== 1 || replaced.servers === 0) {
    throw new Error(
      `${HAPROXY_CONFIG} should have one bind, one stats socket and a server-template per ` +
        `backend; found ${JSON.stringify(replaced)}`,
    );
  }
  return lines.join('\n');
}

/**
 * HAProxy as a child process in front of the given API processes, from the shipped example
 * configuration. Tests read each server's state from its stats socket and wait on it.
 */
export class Haproxy {
  private child: ChildProcess | undefined;
  private directory = '';
  private log = '';
  url = '';

  constructor(private readonly backends: string[]) {}

  /** The server name HAProxy gives a backend URL (api1, api2...). */
  serverOf(backend: string): string {
    const index = this.backends.indexOf(backend);
    if (index < 0) throw new Error(`${backend} is not behind this HAProxy`);
    return `api${index + 1}`;
  }

  /** A request through the balancer. */
  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`${this.url}${path}`, init);
  }

  /** HAProxy's own output: its request log and the servers' state changes. */
  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    if (!existsSync(HAPROXY)) {
      throw new Error(`HAProxy is not installed at ${HAPROXY} (apt-get install -y haproxy)`);
    }
    this.directory = await mkdtemp(join(tmpdir(), 'haproxy-'));
    const port = await freePort();
    const config = join(this.directory, 'haproxy.cfg');
    await writeFile(
      config,
      renderHaproxyConfig(await readFile(HAPROXY_CONFIG, 'utf8'), {
        port,
        socket: this.socket,
        backends: this.backends,
      }),
    );
    // -db: stay in the foreground, as a child process must.
    const child = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.url = `http://127.0.0.1:${port}`;
    const exited = new Promise<never>((_resolve, reject) =>
      child.once('exit', (code) => reject(new Error(`HAProxy exited with ${code}:\n${this.log}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      eventually(
        'HAProxy to answer on its stats socket',
        async () => (await this.servers()).length > 0,
        {
          timeoutMs: 10_000,
          intervalMs: 50,
        },
      ),
    ]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  /** Every server of every backend, from `show stat`. */
  async servers(): Promise<ServerStat[]> {
    const [header, ...rows] = (await this.command('show stat'))
      .split('\n')
      .filter((line) => line.trim());
    const columns = header.replace(/^# /, '').split(',');
    const number = (fields: string[], name: string) => Number(fields[columns.indexOf(name)] || 0);
    return rows
      .map((row) => row.split(','))
      .filter((fields) => !['FRONTEND', 'BACKEND'].includes(fields[1]))
      .map((fields) => ({
        backend: fields[0],
        server: fields[1],
        status: fields[columns.indexOf('status')],
        responses: ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other']
          .map((name) => number(fields, name))
          .reduce((sum, n) => sum + n, 0),
        retries: number(fields, 'wretr'),
        redispatches: number(fields, 'wredis'),
      }));
  }

  /** The status of a backend URL's server in `backend` ("api": the readiness-checked one). */
  async status(backend: string, pool = 'api'): Promise<string> {
    const name = this.serverOf(backend);
    const server = (await this.servers()).find(
      (stat) => stat.backend === pool && stat.server === name,
    );
    if (!server) throw new Error(`HAProxy has no server ${pool}/${name}`);
    return server.status;
  }

  /** Responses a backend URL's server returned, in all pools (ready and fail-open). */
  async served(backend: string): Promise<number> {
    const name = this.serverOf(backend);
    return (await this.servers())
      .filter((stat) => stat.server === name)
      .reduce((sum, stat) => sum + stat.responses, 0);
  }

  /** Waits until HAProxy reports each of these backend URLs with exactly this status. */
  async waitForStatus(backends: string[], status: 'UP' | 'DOWN', timeoutMs = 15_000) {
    await eventually(
      `HAProxy to report ${backends.map((backend) => this.serverOf(backend)).join(', ')} ${status}`,
      async () => {
        for (const backend of backends) if ((await this.status(backend)) !== status) return false;
        return true;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  private get socket(): string {
    return join(this.directory, 'admin.sock');
  }

  /** One command on the stats socket (non-interactive: HAProxy closes after answering). */
  private command(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socket);
      let answer = '';
      socket.once('connect', () => socket.write(`${command}\n`));
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.once('error', reject);
      socket.once('end', () => resolve(answer));
    });
  }
}
