import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { eventually } from './eventually.js';
import { viaPgBouncer } from './pgbouncer.js';

export const MAIN = 'dist/src/main.js';

/** Global setup builds dist from the current sources once per run (suites run in parallel). */
export function ensureBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: global setup builds it`);
}

/** Called once per run by global setup. */
export function build(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'ignore' });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the built server with exactly this environment (plus PATH and HOME), in its own process
 * group; from `cwd`'s dist when given (a copy of the project elsewhere).
 */
export function spawnServer(
  env: Record<string, string>,
  options: { cwd?: string } = {},
): ServerProcess {
  const child = spawn(process.execPath, [MAIN], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

export async function waitForReady(port: number, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `the server on port ${port} to answer 200 on /health/ready`,
    async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200,
    { timeoutMs, intervalMs: 200 },
  );
}

export interface ApiProcess extends ServerProcess {
  url: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  /** Sends a signal and waits for the exit, SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null }>;
}

/**
 * The built server as its own OS process on a free port, once it answers ready (through the
 * run's PgBouncer in the `pgbouncer` jest project).
 */
export async function startApiProcess(given: Record<string, string>): Promise<ApiProcess> {
  const env = viaPgBouncer(given);
  const port = await freePort();
  const server = spawnServer({ ...env, HOST: '127.0.0.1', PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForReady(port),
      server.exited.then(({ code }) => {
        throw new Error(`the server exited with ${code}:\n${server.output()}`);
      }),
    ]);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
  return {
    ...server,
    url,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    async query<T>(sql: string, parameters?: unknown[]) {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        return (await client.query(sql, parameters)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (server.child.exitCode !== null || server.child.signalCode !== null)
        return { code: server.child.exitCode };
      server.child.kill(signal);
      const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
      const { code } = await server.exited;
      clearTimeout(timer);
      return { code };
    },
  };
}
