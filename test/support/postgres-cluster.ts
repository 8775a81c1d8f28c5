import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from './eventually.js';
import { freePort } from './server-process.js';

/**
 * A PostgreSQL primary of one suite's own, with a streaming replica when asked: initdb for the
 * primary, pg_basebackup -R for the replica, each with its own data directory and port under a
 * temp folder, so a suite can stop and start them. The machine's own PostgreSQL is never
 * touched. Needs PostgreSQL's server binaries (pg_basebackup is not in the embedded package):
 * PG_BIN_DIR, or the newest under /usr/lib/postgresql.
 */
export interface PostgresCluster {
  primaryUrl(database: string): string;
  replicaUrl(database: string): string;
  /** Runs SQL as the superuser on the primary or the replica. */
  sql<T = Record<string, unknown>>(
    server: 'primary' | 'replica',
    database: string,
    text: string,
    parameters?: unknown[],
  ): Promise<T[]>;
  /** Stops WAL replay on the replica and waits until it has taken effect. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the replica has replayed everything the primary has written so far. */
  waitForReplay(): Promise<void>;
  stopReplica(): void;
  startReplica(): void;
  /** Stops the primary at once, as a crash or a network cut would look to clients. */
  stopPrimary(): void;
  startPrimary(): void;
  stop(): void;
}

function binDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'pg_basebackup')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    throw new Error(
      'pg_basebackup not found: install PostgreSQL server binaries or set PG_BIN_DIR',
    );
  return join(root, versions[0], 'bin');
}

export async function startPostgresCluster({ replica = true } = {}): Promise<PostgresCluster> {
  const bin = binDir();
  const base = mkdtempSync(join(tmpdir(), 'is-replication-'));
  // PostgreSQL refuses to run as root: when the tests do, its processes run as "postgres".
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? lookupUser('postgres') : undefined;
  if (owner) chownSync(base, owner.uid, owner.gid);
  const run = (command: string, args: string[], options: SpawnSyncOptions = {}) => {
    const result = spawnSync(join(bin, command), args, {
      encoding: 'utf8',
      timeout: 60_000,
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      ...options,
    });
    if (result.status !== 0)
      throw new Error(`${command} failed: ${String(result.stderr ?? result.error).trim()}`);
  };
  const primaryDir = join(base, 'primary');
  const replicaDir = join(base, 'replica');
  const ports = { primary: await freePort(), replica: await freePort() };
  const settings = (port: number) =>
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${base}'`,
      'fsync = off',
      'full_page_writes = off',
      'shared_buffers = 32MB',
      'max_connections = 100',
      'wal_level = replica',
      'max_wal_senders = 4',
      'wal_keep_size = 256MB',
      'hot_standby = on',
      'hot_standby_feedback = on',
    ].join('\n') + '\n';

  run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  appendFileSync(join(primaryDir, 'postgresql.conf'), settings(ports.primary));
  const start = (dir: string) =>
    run('pg_ctl', [
      '-D',
      dir,
      '-l',
      join(base, `${dir.endsWith('primary') ? 'primary' : 'replica'}.log`),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  start(primaryDir);
  try {
    if (replica)
      run('pg_basebackup', [
        '-h',
        '127.0.0.1',
        '-p',
        String(ports.primary),
        '-U',
        'postgres',
        '-D',
        replicaDir,
        '-R',
        '-X',
        'stream',
        '--no-sync',
      ]);
    if (replica) {
      appendFileSync(join(replicaDir, 'postgresql.conf'), `port = ${ports.replica}\n`);
      start(replicaDir);
    }
  } catch (error) {
    run('pg_ctl', ['-D', primaryDir, '-m', 'immediate', 'stop'], { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
    throw error;
  }

  const url = (port: number, database: string) =>
    `postgres://postgres@127.0.0.1:${port}/${database}`;
  const sql = async <T>(
    server: 'primary' | 'replica',
    database: string,
    text: string,
    parameters?: unknown[],
  ): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url(ports[server], database) });
    await client.connect();
    try {
      return (await client.query(text, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const cluster: PostgresCluster = {
    primaryUrl: (database) => url(ports.primary, database),
    replicaUrl: (database) => url(ports.replica, database),
    sql,
    async waitForReplay() {
      const [{ lsn }] = await sql<{ lsn: string }>(
        'primary',
        'postgres',
        'SELECT pg_current_wal_lsn()::text AS lsn',
      );
      await eventually(
        `the replica to replay up to ${lsn}`,
        async () => {
          const [{ caught }] = await sql<{ caught: boolean }>(
            'replica',
            'postgres',
            'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught',
            [lsn],
          );
          return caught;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
    },
    async pauseReplay() {
      await sql('replica', 'postgres', 'SELECT pg_wal_replay_pause()');
      // A pause is only requested until replay reaches its next record: give it one.
      await eventually(
        'replay on the replica to pause',
        async () => {
          await sql(
            'primary',
            'postgres',
            `SELECT pg_logical_emit_message(false, 'test', 'pause')`,
          );
          const [{ state }] = await sql<{ state: string }>(
            'replica',
            'postgres',
            'SELECT pg_get_wal_replay_pause_state() AS state',
          );
          return state === 'paused';
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
    },
    async resumeReplay() {
      await sql('replica', 'postgres', 'SELECT pg_wal_replay_resume()');
    },
    stopReplica: () => run('pg_ctl', ['-D', replicaDir, '-m', 'fast', '-w', 'stop']),
    startReplica: () => start(replicaDir),
    stopPrimary: () => run('pg_ctl', ['-D', primaryDir, '-m', 'immediate', '-w', 'stop']),
    startPrimary: () => start(primaryDir),
    stop() {
      for (const dir of replica ? [replicaDir, primaryDir] : [primaryDir])
        spawnSync(join(bin, 'pg_ctl'), ['-D', dir, '-m', 'immediate', '-w', 'stop'], {
          stdio: 'ignore',
          ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
        });
      rmSync(base, { recursive: true, force: true });
    },
  };
  if (replica) await cluster.waitForReplay();
  return cluster;
}

function lookupUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error(`running as root needs a "${name}" user to run PostgreSQL`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
