import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MailQueue } from '../../src/mail/mail-queue.js';
import { clientAddress, registerUser, uniqueEmail } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { resetTokenFrom, TestSmtpServer } from '../support/smtp.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

interface JobRow {
  id: string;
  state: string;
  retry_count: number;
  data: string;
}

const RESET = /reset/i;

describe('durable mail', () => {
  let api: TestApp;
  const smtp = new TestSmtpServer();

  beforeAll(async () => {
    await smtp.start();
    api = await startTestApp({
      env: {
        ...smtp.env,
        MAIL_RETRY_LIMIT: '2',
        MAIL_RETRY_DELAY_SECONDS: '1',
        MAIL_POLL_INTERVAL_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await api.close();
    await smtp.stop();
  });

  const forgot = (email: string) =>
    api.fetch('/api/v1/auth/password/forgot', json({ email }, clientAddress()));

  /** Every mail job (their data is sealed: a job is known by its id, the Message-ID's left). */
  const mailJobs = () =>
    api.query<JobRow>(
      `SELECT id, state::text AS state, retry_count, data::text AS data
         FROM pgboss.job WHERE name = 'mail.send'`,
    );

  async function metrics(): Promise<string> {
    return (await api.fetch('/metrics')).text();
  }

  /** A new account whose verification mail has gone out, so it does not meet refusals. */
  async function registeredAndMailed() {
    const user = await registerUser(api);
    await smtp.waitForSubject(user.email, /verification code/);
    await eventually('every mail job done', async () =>
      (await mailJobs()).every((row) => row.state === 'completed'),
    );
    return user;
  }
  const resetMailsTo = (email: string) =>
    smtp.mailsTo(email).filter((mail) => RESET.test(mail.subject));

  function sample(text: string, name: string, labels: string): number | undefined {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }

  it('delivers the reset mail through the queue, with a Message-ID from its job and its data sealed', async () => {
    const user = await registerUser(api);
    expect((await forgot(user.email)).status).toBe(202);
    const mail = await smtp.waitForSubject(user.email, RESET);
    const token = resetTokenFrom(mail);

    const job = await eventually('the mail job completed', async () =>
      (await mailJobs()).find(
        (row) => row.state === 'completed' && mail.messageId === `<${row.id}@insightsheet.test>`,
      ),
    );
    expect(job.retry_count).toBe(0);
    const stored = JSON.stringify(
      await api.query(
        `SELECT data, output FROM pgboss.job UNION ALL SELECT data, output FROM pgboss.archive`,
      ),
    );
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(user.email);
  });

  it('queues mail with the transaction that causes it: a rollback sends nothing', async () => {
    const queue = api.app.get(MailQueue);
    const dataSource = api.app.get(DataSource);
    const [kept, dropped] = [uniqueEmail('kept'), uniqueEmail('dropped')];
    await expect(
      dataSource.transaction(async (manager) => {
        await queue.enqueue({ to: dropped, subject: 'Dropped', text: 'never sent' }, manager);
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');
    await dataSource.transaction((manager) =>
      queue.enqueue({ to: kept, subject: 'Kept', text: 'sent' }, manager),
    );
    queue.wake();

    await smtp.waitFor(kept);
    // Once every job is done, nothing queued is left that could still send the dropped mail.
    await eventually('every mail job done', async () =>
      (await mailJobs()).every((row) => row.state === 'completed'),
    );
    expect(smtp.mailsTo(dropped)).toEqual([]);
  });

  it('retries a refused mail with back-off and delivers it once', async () => {
    const user = await registeredAndMailed();
    smtp.refuseNext(2);
    const refusedBefore = smtp.refused;
    expect((await forgot(user.email)).status).toBe(202);

    const mail = await smtp.waitForSubject(user.email, RESET, 20_000);
    expect(smtp.refused - refusedBefore).toBe(2);
    const id = /^<([^@]+)@/.exec(mail.messageId)?.[1];
    // The mail is accepted just before its job is marked done.
    const job = await eventually('the mail job completed', async () => {
      const [row] = await api.query<JobRow>(
        `SELECT state::text AS state, retry_count FROM pgboss.job WHERE id = $1`,
        [id],
      );
      return row?.state === 'completed' ? row : undefined;
    });
    expect(job.retry_count).toBe(2);
    expect(resetMailsTo(user.email)).toHaveLength(1);
  }, 30_000);

  it('marks a mail failed once its tries are spent, and shows queue depth and failures in /metrics', async () => {
    const before = await metrics();
    expect(sample(before, 'mail_queue_jobs', 'queue="mail.send",state="created"')).toBe(0);
    expect(
      sample(before, 'mail_queue_jobs', 'queue="auth.password-reset-request",state="failed"'),
    ).toBe(0);
    const attempts = (text: string, queue: string, outcome: string) =>
      sample(text, 'mail_queue_attempts_total', `queue="${queue}",outcome="${outcome}"`) ?? 0;

    const user = await registeredAndMailed();
    smtp.refuseNext(3);
    expect((await forgot(user.email)).status).toBe(202);
    await eventually(
      'the mail job failed',
      async () =>
        (await mailJobs()).filter((row) => row.state === 'failed' && row.retry_count === 2)
          .length === 1,
      { timeoutMs: 20_000, intervalMs: 100 },
    );

    const after = await metrics();
    expect(sample(after, 'mail_queue_jobs', 'queue="mail.send",state="failed"')).toBe(1);
    expect(attempts(after, 'mail.send', 'failed') - attempts(before, 'mail.send', 'failed')).toBe(
      1,
    );
    expect(attempts(after, 'mail.send', 'retry') - attempts(before, 'mail.send', 'retry')).toBe(2);
    const requests = 'auth.password-reset-request';
    expect(attempts(after, requests, 'completed') - attempts(before, requests, 'completed')).toBe(
      1,
    );
    expect(resetMailsTo(user.email)).toEqual([]);
  }, 30_000);
});
