import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from './eventually.js';
import { freePort } from './server-process.js';

/** Debian's package `pgbouncer` (.ci/run installs it); PGBOUNCER_BIN points elsewhere. */
export function pgbouncerBinary(): string | undefined {
  const candidates = [process.env.PGBOUNCER_BIN, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];
  const found = candidates.find((path) => path && existsSync(path));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

export interface PgBouncerOptions {
  /** The PostgreSQL server behind it (any database on it is reachable through it). */
  serverUrl: string;
  /** Server connections per database and user: few, so that clients share them. */
  poolSize?: number;
  maxClientConnections?: number;
  /** Startup parameters it accepts and drops (none by default: those are refused). */
  ignoreStartupParameters?: string[];
}

/**
 * A real PgBouncer in transaction mode in front of a PostgreSQL, run as a child process on a
 * free port with a generated configuration: every database of that server is reachable through
 * it (the `*` entry), each database and user with `poolSize` server connections whoever many
 * clients connect. Authentication is trust for the server URL's user; the admin console
 * (database `pgbouncer`) answers that user too.
 */
export class PgBouncer {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  private log = '';
  port = 0;

  constructor(private readonly options: PgBouncerOptions) {}

  /** The URL of `database` through the pooler (user and password of the server URL). */
  urlFor(database: string): string {
    const url = new URL(this.options.serverUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    url.pathname = `/${database}`;
    return url.toString();
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    const binary = pgbouncerBinary();
    if (!binary) throw new Error('pgbouncer is not installed (Debian package pgbouncer)');
    const server = new URL(this.options.serverUrl);
    const user = decodeURIComponent(server.username || 'postgres');
    this.port = await freePort();
    this.dir = await mkdtemp(join(tmpdir(), 'is-pgbouncer-'));
    const ini = join(this.dir, 'pgbouncer.ini');
    const users = join(this.dir, 'users.txt');
    await writeFile(users, `"${user}" ""\n`);
    await writeFile(
      ini,
      [
        '[databases]',
        `* = host=${server.hostname} port=${server.port || 5432}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${this.port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${users}`,
        `admin_users = ${user}`,
        'pool_mode = transaction',
        `default_pool_size = ${this.options.poolSize ?? 2}`,
        'min_pool_size = 0',
        'reserve_pool_size = 0',
        `max_client_conn = ${this.options.maxClientConnections ?? 1000}`,
        `ignore_startup_parameters = ${(this.options.ignoreStartupParameters ?? []).join(',')}`,
        'query_wait_timeout = 60',
        'server_check_delay = 0',
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n'),
    );
    // PgBouncer refuses to run as root; it then runs as nobody, which must read its files.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await chmod(this.dir, 0o755);
      await Promise.all([chmod(ini, 0o644), chmod(users, 0o644)]);
    }
    const child = spawn(binary, [...(asRoot ? ['-u', 'nobody'] : []), ini], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await eventually(
      `PgBouncer to accept connections on port ${this.port}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`pgbouncer exited with ${child.exitCode}:\n${this.log}`);
        return (await this.admin('SHOW VERSION').catch(() => undefined)) !== undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  }

  /** A query on the admin console (SHOW POOLS, SHOW SERVERS, ...). */
  async admin<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.urlFor('pgbouncer') });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Routes a test environment's DATABASE_URL through the run's PgBouncer (global setup starts it,
 * TEST_PGBOUNCER_URL) when the suite runs in the `pgbouncer` jest project (TEST_VIA_PGBOUNCER),
 * as production does: DATABASE_URL through the pooler, DATABASE_DIRECT_URL to the server,
 * DB_TRANSACTION_POOLING=true. Databases on another server (a suite's own cluster) stay direct.
 */
export function viaPgBouncer<T extends Record<string, string | undefined>>(env: T): T {
  const pooler = process.env.TEST_PGBOUNCER_URL;
  const admin = process.env.TEST_ADMIN_DATABASE_URL;
  const given = env.DATABASE_URL;
  if (process.env.TEST_VIA_PGBOUNCER !== '1' || env.DB_TRANSACTION_POOLING !== undefined)
    return env;
  if (!given) return env;
  if (!pooler || !admin)
    throw new Error('TEST_VIA_PGBOUNCER is set but global setup started no PgBouncer');
  const target = new URL(given);
  const server = new URL(admin);
  const routed = new URL(pooler);
  // A URL taken from another app of the suite (a second instance) is the pooler's already.
  if (target.hostname === routed.hostname && target.port === routed.port) {
    const straight = new URL(target);
    straight.hostname = server.hostname;
    straight.port = server.port;
    return {
      ...env,
      DATABASE_DIRECT_URL: straight.toString(),
      DB_TRANSACTION_POOLING: 'true',
    };
  }
  if (target.hostname !== server.hostname || target.port !== server.port) return env;
  routed.pathname = target.pathname;
  routed.username = target.username;
  routed.password = target.password;
  return {
    ...env,
    DATABASE_URL: routed.toString(),
    DATABASE_DIRECT_URL: given,
    DB_TRANSACTION_POOLING: 'true',
  };
}
