import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConflictException } from '@nestjs/common';
import { RegistrationService } from '../../src/modules/auth/registration.service.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  login,
  registerUser,
  registerVerifiedUser,
  strongPassword,
  uniqueEmail,
} from '../factories/users.factory.js';
import { ensureBuilt } from '../support/server-process.js';
import { json, startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

const CLI = resolve('dist/src/cli.js');

function runCli(
  args: string[],
  env: Record<string, string>,
  cwd = process.cwd(),
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => done({ code, output }));
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
      REQUIRE_ADMIN_MFA: 'true',
    });
    expect(result.code).toBe(0);
    const [created, hint, ...rest] = result.output.split('\n');
    expect(created).toBe(`Created admin ${email}`);
    // How to enrol a second factor, which the admin routes need.
    expect(hint).toMatch(
      /^Admin routes need a second factor \(REQUIRE_ADMIN_MFA is on\)\. To enrol:/,
    );
    expect(hint).toContain('POST /api/v1/auth/mfa/totp/setup');
    expect(rest).toEqual(['']);
    const response = await login(api, email, password);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { role: string } }).user).toMatchObject({
      role: 'admin',
      emailVerified: true,
    });
  });

  // Issue 10, item 9: an existing account is never promoted silently.
  it('refuses an email that already has an account, and leaves that account as it was', async () => {
    const user = await registerUser(api);
    const result = await runCli(['create-admin', '--email', user.email.toUpperCase()], {
      ...env,
      ADMIN_PASSWORD: strongPassword(),
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      new RegExp(`account with the email ${user.email} already exists`),
    );
    expect(result.output).toMatch(/--promote/);
    const [row] = await api.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.role).toBe('user');
    expect((await login(api, user.email, user.password)).status).toBe(200);
  });

  // Issue 10, item 9: the check above runs before the password prompt; an account registered
  // while the operator types must be refused by the insert itself, not promoted.
  it('creates admins by insert only: an email registered meanwhile is a conflict, never a promotion', async () => {
    const user = await registerUser(api);
    await expect(
      api.app.get(RegistrationService).createAdmin(user.email, strongPassword()),
    ).rejects.toBeInstanceOf(ConflictException);
    const [row] = await api.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.role).toBe('user');
  });

  it('promotes a verified account with --promote and ends its sessions', async () => {
    const user = await registerVerifiedUser(api);
    const result = await runCli(['create-admin', '--email', user.email, '--promote'], env);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(
      new RegExp(
        `^Promoted admin ${user.email}; their sessions were ended\n` +
          `Admin routes do not ask for a second factor here \\(REQUIRE_ADMIN_MFA is off\\)`,
      ),
    );
    const [row] = await api.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.role).toBe('admin');
    const refresh = await api.fetch(
      '/api/v1/auth/refresh',
      json({ refreshToken: user.refreshToken }),
    );
    expect(refresh.status).toBe(401);
  });

  // Issue 10, item 9: --promote needs a verified email.
  it('refuses --promote for an account whose email is not verified', async () => {
    const user = await registerUser(api);
    const result = await runCli(['create-admin', '--email', user.email, '--promote'], env);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/email is not verified/);
    const [row] = await api.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.role).toBe('user');
    const me = await api.fetch('/api/v1/users/me', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(me.status).toBe(200);
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

describe('npm run cli -- seed:activity', () => {
  let api: TestApp;
  let workDir: string;

  beforeAll(async () => {
    ensureBuilt();
    api = await startTestApp();
    workDir = mkdtempSync(join(tmpdir(), 'insightsheet-cli-'));
  }, 120_000);
  afterAll(async () => {
    rmSync(workDir, { recursive: true, force: true });
    await api.close();
  });

  // Issue 10, item 10: the production guard reads the validated configuration, .env included.
  it('is refused when NODE_ENV=production comes only from .env', async () => {
    writeFileSync(join(workDir, '.env'), 'NODE_ENV=production\n');
    const users = async () =>
      (await api.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`))[0].n;
    const before = await users();
    const result = await runCli(
      ['seed:activity', '--users', '2', '--events', '4', '--days', '1'],
      {
        DATABASE_URL: api.config.database.url!,
        JWT_SECRET: TEST_JWT_SECRET,
        FRONTEND_URL: 'https://app.example',
        LOG_LEVEL: 'silent',
      },
      workDir,
    );
    expect(result.output).toMatch(/refused with NODE_ENV=production/);
    expect(result.code).toBe(1);
    expect(await users()).toBe(before);
  });
});
