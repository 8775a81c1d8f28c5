import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { login, strongPassword, uniqueEmail, registerUser } from '../factories/users.factory.js';
import { ensureBuilt } from '../support/server-process.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli.js', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run cli -- create-admin', () => {
  let api: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    api = await startTestApp();
    env = {
      DATABASE_URL: api.config.database.url!,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
    };
  }, 120_000);
  afterAll(() => api.close());

  it('creates an admin with the password from ADMIN_PASSWORD, never from the command line', async () => {
    const email = uniqueEmail('admin');
    const password = strongPassword();
    const result = await runCli(['create-admin', '--email', email], {
      ...env,
      ADMIN_PASSWORD: password,
    });
    expect(result).toEqual({ code: 0, output: `Created admin ${email}\n` });
    const response = await login(api, email, password);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { role: string } }).user.role).toBe('admin');
  });

  it('promotes an existing account', async () => {
    const user = await registerUser(api);
    const result = await runCli(['create-admin', '--email', user.email.toUpperCase()], env);
    expect(result.code).toBe(0);
    expect(result.output).toBe(`Promoted admin ${user.email}\n`);
    const [row] = await api.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.role).toBe('admin');
  });

  it('refuses a new admin without a password (no prompt without a terminal) and a weak one', async () => {
    const missing = await runCli(['create-admin', '--email', uniqueEmail('admin')], env);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/password is required/i);
    const weak = await runCli(['create-admin', '--email', uniqueEmail('admin')], {
      ...env,
      ADMIN_PASSWORD: 'password1',
    });
    expect(weak.code).toBe(1);
    expect(weak.output).toMatch(/too common/);
  });

  it('lists its commands', async () => {
    const result = await runCli(['--help'], env);
    expect(result.code).toBe(0);
    expect(result.output).toContain('create-admin --email');
  });
});
