import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { clientAddress, registerUser, strongPassword } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { ensureBuilt, startApiProcess, type ApiProcess } from '../support/server-process.js';
import { resetTokenFrom, TestSmtpServer } from '../support/smtp.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { json, testEnv } from '../support/test-app.js';

const USERS = 5;

/** The built server's environment: the tests' configuration without unset values. */
function env(overrides: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(testEnv(overrides)).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
}

describe('durable mail across instances', () => {
  let database: TestDatabase;
  const refusing = new TestSmtpServer();
  const accepting = new TestSmtpServer();
  const instances: ApiProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    await refusing.start();
    await accepting.start();
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop('SIGKILL')));
    await database?.drop();
    await refusing.stop();
    await accepting.stop();
  });

  const start = async (smtpUrl: string) => {
    const instance = await startApiProcess(
      env({
        DATABASE_URL: database.url,
        SMTP_URL: smtpUrl,
        MAIL_FROM: 'InsightSheet <no-reply@insightsheet.test>',
        MAIL_RETRY_DELAY_SECONDS: '3',
        MAIL_POLL_INTERVAL_MS: '500',
      }),
    );
    instances.push(instance);
    return instance;
  };

  it('delivers mail queued by an instance that was killed, once, from the instances still running', async () => {
    // The first instance queues the mails but its mail server refuses them all, so they wait.
    refusing.refuseNext(1000);
    const first = await start(refusing.url);
    const users = [];
    for (let i = 0; i < USERS; i++) users.push(await registerUser(first));
    for (const user of users) {
      const answer = await first.fetch(
        '/api/v1/auth/password/forgot',
        json({ email: user.email }, clientAddress()),
      );
      expect(answer.status).toBe(202);
    }
    const waiting = () =>
      first.query<{ id: string }>(
        `SELECT id FROM pgboss.job WHERE name = 'mail.send' AND state = 'retry'`,
      );
    // Killed while every mail (a verification and a reset per user) waits for its next try
    // (none is being sent at that moment).
    await eventually(
      `${2 * USERS} mails refused once and waiting`,
      async () => (await waiting()).length === 2 * USERS,
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    const queued = (await waiting()).map((row) => row.id);
    await first.stop('SIGKILL');
    expect(refusing.refused).toBeGreaterThanOrEqual(USERS);
    expect(accepting.mails).toEqual([]);

    // Two instances with a working mail server share the database and take the jobs over.
    const [second, third] = await Promise.all([start(accepting.url), start(accepting.url)]);
    await eventually(
      'every queued mail job completed',
      async () => {
        const rows = await second.query<{ state: string }>(
          `SELECT state::text AS state FROM pgboss.job WHERE id = ANY($1::uuid[])`,
          [queued],
        );
        return rows.length === 2 * USERS && rows.every((row) => row.state === 'completed');
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );

    // The jobs are done: no attempt is left that could deliver a mail again.
    for (const user of users) {
      const subjects = accepting.mailsTo(user.email).map((mail) => mail.subject);
      expect(subjects).toHaveLength(2);
      expect(subjects.filter((subject) => /reset/i.test(subject))).toHaveLength(1);
    }
    expect(accepting.mails.map((mail) => mail.messageId).sort()).toEqual(
      queued.map((id) => `<${id}@insightsheet.test>`).sort(),
    );
    const token = resetTokenFrom(
      accepting.mailsTo(users[0].email).find((mail) => /reset/i.test(mail.subject))!,
    );
    const reset = await third.fetch(
      '/api/v1/auth/password/reset',
      json({ token, password: strongPassword() }, clientAddress()),
    );
    expect(reset.status).toBe(204);
  }, 120_000);

  it('keeps serving and sending while the database drops its connections under a mail backlog', async () => {
    const instance = await start(accepting.url);
    const users = [];
    for (let i = 0; i < 10; i++) users.push(await registerUser(instance));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const requests = users.flatMap((user) =>
        [0, 1, 2].map(() =>
          instance.fetch(
            '/api/v1/auth/password/forgot',
            json({ email: user.email }, clientAddress()),
          ),
        ),
      );
      // While the backlog is worked, the server's connections are cut again and again, so
      // some land while a job's outcome is being written.
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await Promise.allSettled(requests);
    } finally {
      await admin.end();
    }
    const exited = await Promise.race([
      instance.exited.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    // On a failure, the server's last lines say why it stopped.
    expect({ exited, output: exited ? instance.output().slice(-3000) : '' }).toEqual({
      exited: false,
      output: '',
    });
    expect((await instance.fetch('/health/live')).status).toBe(200);
    // The worker kept working: nothing waits any more. (An attempt whose outcome was lost in
    // a cut stays active until it expires, and is retried then by maintenance.)
    await eventually(
      'the mail backlog worked off',
      async () => {
        const rows = await instance.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE state IN ('created', 'retry')`,
        );
        return rows[0].n === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }, 120_000);
});
