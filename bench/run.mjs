// npm run bench: measures the built server in production mode against a bare node:http
// baseline in the same run, and prints each result as a ratio to that baseline.
//
//   BENCH_DURATION=10 BENCH_CONNECTIONS=100 npm run bench
//
// Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create and drop
// its own database, and REDIS_URL (default redis://127.0.0.1:6379) for the Redis cases.
// BENCH_COMPARE_REF=<commit> also measures POST /api/v1/activity on that commit, same run;
// with BENCH_ONLY=http, every route of both servers, interleaved for BENCH_ROUNDS rounds.
// BENCH_ONLY=targets: the request pipeline's targets alone, printed beside the results with
// the misses marked (about a minute with BENCH_DURATION=5).
import argon2 from 'argon2';
import autocannon from 'autocannon';
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const DATABASE = `insightsheet_bench_${RUN}`;
const JWT_SECRET = randomBytes(48).toString('hex');
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

function databaseUrl() {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function packageVersion(name) {
  return JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;
}

/** The Redis server's version, from INFO over a plain socket. */
function redisVersion() {
  const { hostname, port } = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    let reply = '';
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk;
      const match = /redis_version:([^\r\n]+)/.exec(reply);
      if (match) {
        socket.destroy();
        resolve(match[1]);
      }
    });
    socket.once('error', () => resolve('unknown'));
  });
}

async function versions() {
  const [{ server_version: postgres }] = await admin('SHOW server_version');
  const packages = [
    '@nestjs/core',
    'fastify',
    'typeorm',
    'pg',
    'argon2',
    'prom-client',
    'autocannon',
  ];
  return [
    `Node ${process.version}`,
    `PostgreSQL ${postgres.split(' ')[0]}`,
    `Redis ${await redisVersion()}`,
    ...packages.map((name) => `${name} ${packageVersion(name)}`),
  ].join(', ');
}

async function waitFor(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function startBaseline(script = 'baseline-server.mjs', env = {}) {
  const child = fork(new URL(`./${script}`, import.meta.url).pathname, {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  const port = await new Promise((resolve) =>
    child.once('message', (message) => resolve(message.port)),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

/** A port that is free now (ask the OS): fixed ranges collide with the clients' ephemeral ports. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startApi(env, cwd = process.cwd(), profileDir = process.env.BENCH_PROFILE) {
  const port = await freePort();
  const loopReport = join(tmpdir(), `insightsheet-bench-loop-${RUN}-${port}.json`);
  const child = spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      '--import',
      new URL('./event-loop-monitor.mjs', import.meta.url).pathname,
      join(cwd, 'dist/src/main.js'),
    ],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl(),
        JWT_SECRET,
        FRONTEND_URL: 'https://app.insightsheet.test',
        LOG_LEVEL: 'info',
        SHUTDOWN_DRAIN_MS: '0',
        RATE_LIMIT_MAX_REQUESTS: '10000000',
        // Set-up requests (registrations) act as distinct clients through X-Forwarded-For,
        // so that the registration limit per address is not what they measure.
        TRUST_PROXY: '127.0.0.1',
        REDIS_KEY_PREFIX: `bench:${RUN}:${port}`,
        LOOP_REPORT: loopReport,
        ...env,
      },
      cwd,
      // Request logs are written as in production, to a sink.
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health/ready`);
  return {
    url,
    /** CPU time (user + system) the server process has used so far, in seconds (Linux). */
    cpuSeconds() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: () => stop(child).then(() => rmSync(loopReport, { force: true })),
    /** Event-loop delay since the previous call. */
    async loopDelay() {
      child.kill('SIGUSR2');
      for (let i = 0; i < 50 && !existsSync(loopReport); i++) await sleep(20);
      await sleep(50);
      const report = JSON.parse(readFileSync(loopReport, 'utf8'));
      rmSync(loopReport, { force: true });
      return report;
    },
  };
}

async function measure(name, url, options = {}, server = undefined) {
  // A short warm-up so that JIT, caches and pools are settled before the measured run.
  await autocannon({ url, connections: CONNECTIONS, duration: 2, ...options });
  const cpuBefore = server?.cpuSeconds();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    ...options,
  });
  return {
    // Server CPU per answered request: unlike throughput, hardly moved by other load.
    cpuUs: server
      ? ((server.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, result.requests.total)
      : undefined,
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * What the machine and the client allow a server as costly as the API with 1,000 connections:
 * bare Fastify spending the CPU per request the API spent in the same scenario.
 */
async function crowdReference(crowd) {
  const cpuUs = Math.round(crowd.cpuUs);
  const server = await startBaseline('burn-server.mjs', { BURN_US: String(cpuUs) });
  const result = await measure(
    `reference: bare Fastify spending ${cpuUs} µs of CPU per request, 1,000 connections`,
    server.url,
    { connections: 1000 },
  );
  await server.stop();
  return result;
}

/** Alternates two measurements twice and keeps the better of each: the machine drifts. */
async function pair(nameA, urlA, nameB, urlB, options) {
  const runs = { a: [], b: [] };
  for (let round = 0; round < 2; round++) {
    runs.a.push(await measure(nameA, urlA, options));
    runs.b.push(await measure(nameB, urlB, options));
  }
  const best = (list) => list.reduce((x, y) => (y.rps > x.rps ? y : x));
  return [best(runs.a), best(runs.b)];
}

async function registerAndLogin(url) {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(12).toString('base64url')}`;
  const [a, b, c] = randomBytes(3);
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': `10.${a}.${b}.${(c % 250) + 1}`,
    },
    body: JSON.stringify({ email, password, name: 'Bench' }),
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${await response.text()}`);
  const body = await response.json();
  return { email, password, accessToken: body.accessToken, refreshToken: body.refreshToken };
}

/** Bare argon2id verifications per second with the server's parameters, as many in flight as libuv threads. */
async function argon2Rate(seconds) {
  const hash = await argon2.hash('bench-password-123', ARGON2);
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: threads }, async () => {
      while (performance.now() < until) {
        await argon2.verify(hash, 'bench-password-123');
        done++;
      }
    }),
  );
  return done / seconds;
}

async function adminToken(url) {
  const user = await registerAndLogin(url);
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  await client.query(
    `UPDATE users SET role = 'admin', token_version = token_version + 1 WHERE email = $1`,
    [user.email],
  );
  await client.end();
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  return (await response.json()).accessToken;
}

/** Rows per second written one INSERT at a time, and through the activity writer's batches. */
async function writeRates(seconds) {
  const { ActivityWriter } = await import('../dist/src/modules/activity/activity-writer.js');
  const { loadConfig } = await import('../dist/src/config/app-config.js');
  const row = () => ({
    id: null,
    userId: null,
    action: 'bench.write',
    resource: 'sheet',
    resourceId: null,
    metadata: { rows: 10 },
    ipAddress: '10.0.0.1',
    userAgent: 'bench',
    createdAt: new Date(),
    source: 'client',
  });
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  let single = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const r = row();
    await client.query(
      `INSERT INTO user_activities (user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        r.userId,
        r.action,
        r.resource,
        r.resourceId,
        JSON.stringify(r.metadata),
        r.ipAddress,
        r.userAgent,
        r.createdAt,
        r.source,
      ],
    );
    single++;
  }
  await client.end();
  const writer = new ActivityWriter(loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl() }));
  let batched = 0;
  const batchUntil = performance.now() + seconds * 1000;
  while (performance.now() < batchUntil) {
    batched += (await writer.write(Array.from({ length: 500 }, row))).written;
  }
  await writer.close();
  return { single: single / seconds, batched: batched / seconds };
}

/**
 * BENCH_COMPARE_REF=<commit>: that commit's server, built in a temporary worktree with this
 * checkout's node_modules and migrated into a database of its own, for a same-run comparison.
 */
async function startComparison(ref) {
  const dir = join(tmpdir(), `insightsheet-bench-${RUN}-ref`);
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
  const database = `${DATABASE}_ref`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const cleanup = async () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { stdio: 'ignore' });
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  };
  try {
    symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build'], {
      cwd: dir,
      stdio: 'ignore',
    });
    await admin(`CREATE DATABASE ${database}`);
    // Where the migration CLI's data source is depends on the commit.
    const dataSource = ['dist/src/data-source.js', 'dist/src/database/data-source.js'].find(
      (path) => existsSync(join(dir, path)),
    );
    execFileSync(
      process.execPath,
      ['node_modules/typeorm/cli.js', 'migration:run', '-d', dataSource],
      {
        cwd: dir,
        env: { ...process.env, DATABASE_URL: url.toString(), NODE_ENV: 'development' },
        stdio: 'ignore',
      },
    );
    const api = await startApi({ DATABASE_URL: url.toString() }, dir);
    return { api, stop: () => api.stop().then(cleanup) };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function activityScenarios(base, notes, { analyticsOnly = false, measured = {} } = {}) {
  const lines = [];
  if (!analyticsOnly) measured.activity = await intakeScenarios(base, notes, lines);
  await analyticsScenario(notes);
  return lines;
}

/** Argon2id-bound routes: 16 connections, as in the login scenario. */
const AUTH_CONNECTIONS = 16;

/** A new account per request, each from its own client address (the per-address limit). */
function registrations() {
  return {
    connections: AUTH_CONNECTIONS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const [a, b, c] = randomBytes(3);
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              'x-forwarded-for': `10.${a}.${b}.${(c % 250) + 1}`,
            },
            body: JSON.stringify({
              email: `bench-${randomBytes(8).toString('hex')}@example.com`,
              password: `Bench-${randomBytes(12).toString('base64url')}`,
              name: 'Bench',
            }),
          };
        },
      },
    ],
  };
}

/**
 * Sign-ins spread over the accounts: failed-login limits reserve each attempt before the
 * password check, so one account signing in 16 times at once would meet its lock.
 */
function logins(accounts) {
  let next = 0;
  return {
    connections: AUTH_CONNECTIONS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const account = accounts[next++ % accounts.length];
          return {
            ...request,
            body: JSON.stringify({ email: account.email, password: account.password }),
          };
        },
      },
    ],
  };
}

/** One web-app event, as POST /api/v1/activity receives it. */
function bearerOf(session) {
  return { headers: { authorization: `Bearer ${session.accessToken}` } };
}

function activityRequest(accessToken) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ action: 'sheet.analysed', resource: 'sheet', metadata: { rows: 1200 } }),
  };
}

/** A client address of its own for a request (the API trusts X-Forwarded-For from loopback). */
function someAddress() {
  const [a, b, c] = randomBytes(3);
  return `10.${a}.${b}.${(c % 250) + 1}`;
}

/**
 * Refresh-token rotation: each request presents a token from the pool and puts the one it
 * gets back in its place (a rotated token presented again would end its session).
 */
async function refreshes(url, sessions = 64) {
  const tokens = [];
  for (let i = 0; i < sessions; i++) tokens.push((await registerAndLogin(url)).refreshToken);
  return {
    connections: AUTH_CONNECTIONS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context) => {
          context.token = tokens.shift();
          return {
            ...request,
            headers: { 'content-type': 'application/json', 'x-forwarded-for': someAddress() },
            body: JSON.stringify({ refreshToken: context.token }),
          };
        },
        onResponse: (status, body, context) => {
          tokens.push(status === 200 ? JSON.parse(body).refreshToken : context.token);
        },
      },
    ],
  };
}

/**
 * A user whose plan comes from a workspace on Business: they create the workspace (so the
 * API drops their cached plan), its subscription row is written directly (the bench has no
 * Stripe), and the second eviction that follows a membership change has passed.
 */
async function workspaceMember(url) {
  const user = await registerAndLogin(url);
  const created = await fetch(`${url}/api/v1/workspaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
    body: JSON.stringify({ name: 'Bench team' }),
  });
  if (created.status !== 201) throw new Error(`workspace not created: ${created.status}`);
  const workspace = await created.json();
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO subscriptions (workspace_id, plan, status, current_period_end, seats, features)
       VALUES ($1, 'business', 'active', now() + interval '30 days', 1, '{}'::jsonb)`,
      [workspace.id],
    );
  } finally {
    await client.end();
  }
  await sleep(1500);
  const me = await fetch(`${url}/api/v1/users/me`, {
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  const plan = (await me.json()).subscription?.plan;
  if (plan !== 'business') throw new Error(`the workspace member's plan is ${plan}`);
  return user;
}

/** Scenarios added with sessions and workspaces: refresh, the sessions page, a member's profile. */
async function sessionScenarios(api, base, lines) {
  const refresh = await measure(
    'POST /api/v1/auth/refresh (rotation)',
    `${api.url}/api/v1/auth/refresh`,
    await refreshes(api.url),
    api,
  );
  const user = await registerAndLogin(api.url);
  const sessions = await measure(
    'GET /api/v1/auth/sessions',
    `${api.url}/api/v1/auth/sessions`,
    { headers: { authorization: `Bearer ${user.accessToken}` } },
    api,
  );
  const member = await workspaceMember(api.url);
  const memberMe = await measure(
    'GET /api/v1/users/me, a workspace member on Business',
    `${api.url}/api/v1/users/me`,
    { headers: { authorization: `Bearer ${member.accessToken}` } },
    api,
  );
  lines.push(row(refresh, base), row(sessions, base), row(memberMe, base));
  return { refresh, sessions, memberMe };
}

/**
 * The targets of the request pipeline (ratios to bare node:http in the same run, or absolute
 * for the crowd of 1,000 connections), printed beside what was measured; a miss is marked.
 */
const TARGETS = [
  ['GET /health/live', 'health', 0.7],
  ['GET /api/v1/users/me, in-process state', 'meMemory', 0.25],
  ['GET /api/v1/users/me, Redis state', 'meRedis', 0.2],
  ['POST /api/v1/activity (durable 202)', 'activity', 0.18],
];

/** The crowd target's references, measured in the same run with the same client. */
function crowdContext(base, { crowdReference: reference }) {
  const parts = [];
  if (base.crowd) parts.push(`bare node:http: p99 ${base.crowd.p99} ms`);
  if (reference)
    parts.push(
      `bare Fastify at the same CPU per request: ${reference.failures} failed, p99 ${reference.p99} ms`,
    );
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function targetLines(measured, base) {
  const lines = ['| target | measured | goal | |', '|---|---:|---:|---|'];
  let misses = 0;
  const mark = (met) => {
    if (!met) misses++;
    return met ? 'met' : '**MISS**';
  };
  for (const [name, key, goal] of TARGETS) {
    const result = measured[key];
    if (!result) continue;
    const ratio = result.rps / base.rps;
    lines.push(`| ${name} | ${ratio.toFixed(2)} | ${goal.toFixed(2)} | ${mark(ratio >= goal)} |`);
  }
  if (measured.loginRatio !== undefined)
    lines.push(
      `| login vs bare argon2id, same process count | ${measured.loginRatio.toFixed(2)} | 0.90 | ${mark(measured.loginRatio >= 0.9)} |`,
    );
  if (measured.crowd) {
    const { crowd } = measured;
    const met = crowd.errors + crowd.timeouts + crowd.non2xx === 0 && crowd.p99 < 500;
    lines.push(
      `| 1,000 connections on /users/me (Redis) | ${crowd.errors + crowd.timeouts + crowd.non2xx} failed, p99 ${crowd.p99} ms${crowdContext(base, measured)} | 0 failed, p99 < 500 ms | ${mark(met)} |`,
    );
  }
  lines.push('', misses ? `${misses} target(s) missed.` : 'Every target met.');
  return lines;
}

async function intakeScenarios(base, notes, lines) {
  const ref = process.env.BENCH_COMPARE_REF;
  if (ref) {
    const before = await startComparison(ref);
    const user = await registerAndLogin(before.api.url);
    const result = await measure(
      `POST /api/v1/activity at ${ref}`,
      `${before.api.url}/api/v1/activity`,
      activityRequest(user.accessToken),
    );
    lines.push(row(result, base));
    await before.stop();
  }
  const api = await startApi({});
  const user = await registerAndLogin(api.url);
  const intake = await measure(
    'POST /api/v1/activity (202 after commit)',
    `${api.url}/api/v1/activity`,
    activityRequest(user.accessToken),
  );
  lines.push(row(intake, base));
  await api.stop();
  const rates = await writeRates(Math.min(DURATION, 5));
  notes.push(
    `- activity rows written per second: ${Math.round(rates.batched)} in the writer's batches of 500 against ` +
      `${Math.round(rates.single)} one INSERT at a time (same run): ${(rates.batched / rates.single).toFixed(1)}x`,
  );
  return intake;
}

async function analyticsScenario(notes) {
  const users = Number(process.env.BENCH_ANALYTICS_USERS ?? 100_000);
  const events = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 10_000_000);
  const started = performance.now();
  execFileSync(
    process.execPath,
    [
      'dist/src/cli.js',
      'seed:activity',
      '--users',
      String(users),
      '--events',
      String(events),
      '--days',
      '90',
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl(),
        NODE_ENV: 'development',
        JWT_SECRET,
        LOG_LEVEL: 'error',
        // Generation runs long statements; the API's timeouts are for requests.
        DB_STATEMENT_TIMEOUT_MS: '600000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const seedSeconds = (performance.now() - started) / 1000;
  // The overview is an admin route; a password sign-in is what is measured here, not MFA.
  const analytics = await startApi({ REQUIRE_ADMIN_MFA: 'false' });
  const token = await adminToken(analytics.url);
  const timings = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    const response = await fetch(`${analytics.url}/api/v1/admin/analytics/overview`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) throw new Error(`overview answered ${response.status}`);
    await response.json();
    if (i > 0) timings.push(performance.now() - t0);
  }
  timings.sort((a, b) => a - b);
  await analytics.stop();
  notes.push(
    `- analytics overview (last 30 days) on ${events.toLocaleString('en')} events over 90 days for ${users.toLocaleString('en')} users ` +
      `(generated in ${Math.round(seedSeconds)} s): p50 ${Math.round(timings[10])} ms, max ${Math.round(timings.at(-1))} ms over 20 requests`,
  );
}

function row(result, base) {
  const ratio = base ? (result.rps / base.rps).toFixed(2) : '';
  return `| ${result.name} | ${Math.round(result.rps)} | ${result.p50} | ${result.p99} | ${ratio} | ${result.failures} |`;
}

async function main() {
  await admin(`CREATE DATABASE ${DATABASE}`);
  const lines = [];
  const notes = [];
  try {
    execFileSync(
      process.execPath,
      ['node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/data-source.js'],
      {
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl(),
          NODE_ENV: 'production',
          JWT_SECRET,
          FRONTEND_URL: 'https://app.insightsheet.test',
        },
        stdio: 'ignore',
      },
    );

    if (process.env.BENCH_ONLY === 'analytics') {
      const base = { rps: 1 };
      await activityScenarios(base, notes, { analyticsOnly: true });
      console.log(notes.join('\n'));
      return;
    }

    const baseline = await startBaseline();
    const base = await measure('baseline: bare node:http JSON', baseline.url);
    lines.push(row(base, base));
    if (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === 'targets') {
      // What the client and the machine allow with 1,000 connections, for the crowd target.
      base.crowd = await measure('baseline: bare node:http JSON, 1,000 connections', baseline.url, {
        connections: 1000,
      });
      lines.push(row(base.crowd, base));
    }
    await baseline.stop();

    if (process.env.BENCH_ONLY === 'activity') {
      await intakeScenarios(base, notes, lines);
      console.log([...lines, '', ...notes].join('\n'));
      return;
    }

    if (process.env.BENCH_ONLY === 'targets') {
      // The pipeline's targets alone (run it with BENCH_DURATION=5 before a merge that
      // touches the request pipeline), and the session and workspace scenarios.
      const measured = {};
      const memory = await startApi({});
      const redis = await startApi({ REDIS_URL });
      const user = await registerAndLogin(memory.url);
      const redisUser = await registerAndLogin(redis.url);
      const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
      measured.health = await measure('GET /health/live', `${memory.url}/health/live`, {}, memory);
      measured.meMemory = await measure(
        'GET /api/v1/users/me (in-process state)',
        `${memory.url}/api/v1/users/me`,
        bearer(user.accessToken),
        memory,
      );
      measured.meRedis = await measure(
        'GET /api/v1/users/me (Redis state)',
        `${redis.url}/api/v1/users/me`,
        bearer(redisUser.accessToken),
        redis,
      );
      measured.crowd = await measure(
        'GET /api/v1/users/me, 1,000 connections (Redis state)',
        `${redis.url}/api/v1/users/me`,
        { ...bearer(redisUser.accessToken), connections: 1000 },
        redis,
      );
      measured.crowdReference = await crowdReference(measured.crowd);
      measured.activity = await measure(
        'POST /api/v1/activity',
        `${memory.url}/api/v1/activity`,
        activityRequest(user.accessToken),
        memory,
      );
      const accounts = [];
      for (let i = 0; i < AUTH_CONNECTIONS; i++) accounts.push(await registerAndLogin(memory.url));
      const login = await measure(
        'POST /api/v1/auth/login',
        `${memory.url}/api/v1/auth/login`,
        logins(accounts),
        memory,
      );
      measured.loginRatio = login.rps / (await argon2Rate(Math.min(DURATION, 5)));
      for (const key of ['health', 'meMemory', 'meRedis', 'crowd', 'crowdReference', 'activity'])
        lines.push(row(measured[key], base));
      lines.push(row(login, base));
      await sessionScenarios(memory, base, lines);
      await memory.stop();
      await redis.stop();
      console.log([...lines, '', ...targetLines(measured, base)].join('\n'));
      return;
    }

    if (process.env.BENCH_ONLY === 'profile') {
      // One server per route, each writing a CPU profile of the warm-up and the measured run
      // alone, summarised by package and by function (bench/profile-summary.mjs).
      const scenarios = [
        ['GET /health/live', {}, async (url) => [`${url}/health/live`, {}]],
        [
          'GET /api/v1/users/me (in-process state)',
          {},
          async (url) => [`${url}/api/v1/users/me`, bearerOf(await registerAndLogin(url))],
        ],
        [
          'GET /api/v1/users/me (Redis state)',
          { REDIS_URL },
          async (url) => [`${url}/api/v1/users/me`, bearerOf(await registerAndLogin(url))],
        ],
        [
          'POST /api/v1/activity',
          {},
          async (url) => [
            `${url}/api/v1/activity`,
            activityRequest((await registerAndLogin(url)).accessToken),
          ],
        ],
        [
          'POST /api/v1/auth/login',
          {},
          async (url) => {
            const accounts = [];
            for (let i = 0; i < AUTH_CONNECTIONS; i++) accounts.push(await registerAndLogin(url));
            return [`${url}/api/v1/auth/login`, logins(accounts)];
          },
        ],
      ];
      const only = process.env.BENCH_PROFILE_ROUTE;
      for (const [name, env, prepare] of scenarios) {
        if (only && !name.includes(only)) continue;
        const dir = join(process.env.BENCH_PROFILE ?? tmpdir(), `profile-${RUN}-${lines.length}`);
        const api = await startApi(env, process.cwd(), dir);
        const [url, options] = await prepare(api.url);
        const result = await measure(name, url, options, api);
        await api.stop();
        lines.push(row(result, base));
        const summary = execFileSync(
          process.execPath,
          [new URL('./profile-summary.mjs', import.meta.url).pathname, dir, '25'],
          { encoding: 'utf8' },
        );
        notes.push(`### ${name}`, '', summary);
      }
      console.log([...lines, '', ...notes].join('\n'));
      return;
    }

    if (process.env.BENCH_ONLY === 'http') {
      // A quick look at the request pipeline alone, for profiling; with BENCH_COMPARE_REF the
      // same routes on that commit's server, in the same run.
      const ref = process.env.BENCH_COMPARE_REF;
      const current = await startApi({});
      const servers = [['', current, () => current.stop()]];
      if (ref) {
        const before = await startComparison(ref);
        servers.push([` at ${ref}`, before.api, before.stop]);
      }
      const routes = [];
      for (const [suffix, api] of servers) {
        const user = await registerAndLogin(api.url);
        const bearer = { headers: { authorization: `Bearer ${user.accessToken}` } };
        const accounts = [];
        for (let i = 0; i < 16; i++) accounts.push(await registerAndLogin(api.url));
        routes.push(
          [
            `POST /api/v1/auth/register${suffix}`,
            `${api.url}/api/v1/auth/register`,
            registrations(),
            api,
          ],
          [
            `POST /api/v1/auth/login${suffix}`,
            `${api.url}/api/v1/auth/login`,
            logins(accounts),
            api,
          ],
          [`GET /health/live${suffix}`, `${api.url}/health/live`, undefined, api],
          [`GET /api/v1/users/me${suffix}`, `${api.url}/api/v1/users/me`, bearer, api],
          [
            `POST /api/v1/activity${suffix}`,
            `${api.url}/api/v1/activity`,
            activityRequest(user.accessToken),
            api,
          ],
        );
      }
      // Interleaved (BENCH_ROUNDS, default 2): each route of one server right after the same
      // route of the other, so a noisy spell of the machine weighs on both sides alike.
      const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
      const perServer = routes.length / servers.length;
      const ratios = Array.from({ length: perServer }, () => ({ rps: [], cpu: [] }));
      for (let round = 1; round <= rounds; round++) {
        for (let route = 0; route < perServer; route++) {
          const results = [];
          for (let server = 0; server < servers.length; server++) {
            const [name, url, options, api] = routes[server * perServer + route];
            results.push(await measure(`${name} (round ${round})`, url, options, api));
            lines.push(`${row(results.at(-1), base)} ${Math.round(results.at(-1).cpuUs)} us CPU |`);
          }
          if (results.length === 2) {
            ratios[route].rps.push(results[0].rps / results[1].rps);
            ratios[route].cpu.push(results[0].cpuUs / results[1].cpuUs);
          }
        }
      }
      for (const [, , stop] of servers) await stop();
      if (ref) {
        const median = (values) =>
          [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(2);
        const list = (values) => values.map((v) => v.toFixed(2)).join(', ');
        lines.push('');
        ratios.forEach(({ rps, cpu }, route) => {
          lines.push(
            `- ${routes[route][0]}, this commit / ${ref}: throughput ${list(rps)} ` +
              `(median ${median(rps)}); server CPU per request ${list(cpu)} (median ${median(cpu)})`,
          );
        });
      }
      console.log(lines.join('\n'));
      return;
    }

    const measured = {};
    for (const [label, env] of [
      ['in-process state', {}],
      ['Redis state', { REDIS_URL }],
    ]) {
      const memory = label === 'in-process state';
      const on = await startApi(env);
      const off = await startApi({ ...env, RATE_LIMIT_ENABLED: 'false' });
      const user = await registerAndLogin(on.url);
      const headers = { authorization: `Bearer ${user.accessToken}` };
      const health = await measure(`GET /health/live (${label})`, `${on.url}/health/live`);
      if (memory) measured.health = health;
      lines.push(row(health, base));
      const [limited, unlimited] = await pair(
        `GET /api/v1/users/me, rate limit on (${label})`,
        `${on.url}/api/v1/users/me`,
        `GET /api/v1/users/me, rate limit off (${label})`,
        `${off.url}/api/v1/users/me`,
        { headers },
      );
      lines.push(row(limited, base), row(unlimited, base));
      measured[memory ? 'meMemory' : 'meRedis'] = limited;
      notes.push(
        `- rate limiting on an authenticated endpoint (${label}): ${(limited.rps / unlimited.rps).toFixed(2)} of the throughput without it`,
      );
      const crowd = await measure(
        `GET /api/v1/users/me, 1,000 connections (${label})`,
        `${on.url}/api/v1/users/me`,
        { headers, connections: 1000 },
        on,
      );
      lines.push(row(crowd, base));
      if (!memory) {
        measured.crowd = crowd;
        measured.crowdReference = await crowdReference(crowd);
        lines.push(row(measured.crowdReference, base));
      }
      notes.push(
        `- 1,000 concurrent connections on GET /api/v1/users/me (${label}): ${crowd.errors} errors, ` +
          `${crowd.timeouts} timeouts, ${crowd.non2xx} answers other than 200, p99 ${crowd.p99} ms`,
      );

      if (label === 'in-process state') {
        const accounts = [];
        for (let i = 0; i < AUTH_CONNECTIONS; i++) accounts.push(await registerAndLogin(on.url));
        await on.loopDelay();
        const login = await measure(
          `POST /api/v1/auth/login (${label})`,
          `${on.url}/api/v1/auth/login`,
          logins(accounts),
        );
        const loop = await on.loopDelay();
        lines.push(row(login, base));
        const verifies = await argon2Rate(Math.min(DURATION, 5));
        measured.loginRatio = login.rps / verifies;
        await sessionScenarios(on, base, lines);
        notes.push(
          `- login: ${Math.round(login.rps)} per second against ${Math.round(verifies)} bare argon2id verifications per second ` +
            `(m=19456, t=2, p=1, same run): ${(login.rps / verifies).toFixed(2)} of the bare rate`,
          `- event-loop delay in the server while logins ran: p50 ${loop.p50} ms, p99 ${loop.p99} ms, max ${loop.max} ms`,
        );
      }
      await on.stop();
      await off.stop();
    }

    lines.push(...(await activityScenarios(base, notes, { measured })));

    const report = [
      '# Benchmarks',
      '',
      `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ` +
        `${Math.round(totalmem() / 2 ** 30)} GiB; ${await versions()}. Autocannon with ${CONNECTIONS} connections ` +
        `(16 for login) for ${DURATION} s per scenario after a 2 s warm-up, on the same two cores as the server ` +
        '(load generator included). The API runs built, with NODE_ENV=production, real PostgreSQL, and request logs on. ' +
        'Rate limit on/off pairs run alternately twice; the better run of each is kept.',
      '',
      '| scenario | req/s | p50 ms | p99 ms | ratio to baseline | failed |',
      '|---|---:|---:|---:|---:|---:|',
      ...lines,
      '',
      ...notes,
      '',
      '## Targets',
      '',
      ...targetLines(measured, base),
      '',
    ].join('\n');
    console.log(report);
    if (process.env.BENCH_WRITE !== 'false') writeFileSync('docs/BENCHMARKS.md', report);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
