import 'reflect-metadata';
import { ConflictException, Logger, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AppModule } from './app.module.js';
import { AppConfig, ConfigError, loadConfig, loadDotEnv } from './config/app-config.js';
import { normaliseEmail } from './common/text/identifiers.js';
import { setUpDatabaseRoles } from './database/database-roles.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { runPendingMigrations } from './database/migrate.js';
import { ActivityPartitionsService } from './modules/activity/activity-partitions.service.js';
import { ActivitySeeder } from './modules/activity/activity-seeder.service.js';
import { AccessAdministration } from './modules/auth/access-administration.service.js';
import { RegistrationService } from './modules/auth/registration.service.js';
import { BillingReconciliationService } from './modules/billing/billing-reconciliation.service.js';
import { UsersService } from './modules/users/users.service.js';

const HELP = `InsightSheet operator commands

  npm run cli -- create-admin --email <email> [--promote]
      Creates an admin account. The password comes from ADMIN_PASSWORD or, on a terminal, a
      prompt; never from the command line. An email that already has an account is refused,
      unless --promote is given and that account's email is verified; a promotion ends the
      account's sessions.

  npm run cli -- billing:reconcile
      Fetches every subscription from Stripe and repairs any drift in the database, printing
      what changed. Safe to run at any time.

  npm run cli -- activity:maintain
      Creates the coming months' activity partitions and drops those past
      ACTIVITY_RETENTION_DAYS (the API also does this hourly).

  npm run cli -- seed:activity --users <n> --events <m> [--days 90]
      Fills the database with generated users and activity, for benchmarks and trials.
      Refused with NODE_ENV=production.

  npm run cli -- db:roles --app-role <name> --analytics-role <name>
      Connected as the schema's owner (DATABASE_DIRECT_URL, else DATABASE_URL), creates or
      updates the application's role (data only, no DDL) and the analytics role (read only),
      both with DB_STATEMENT_TIMEOUT_MS as their statement timeout in this database. Their
      passwords come from APP_DB_PASSWORD and ANALYTICS_DB_PASSWORD, never from the command line.

  npm run cli -- --help
      This text.
`;

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    output._writeToOutput = (text: string) => {
      if (text.includes(question)) process.stdout.write(text);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

/** The validated configuration, ./.env included (variables already set win), as the API reads it. */
function cliConfig(): AppConfig {
  loadDotEnv();
  return loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
}

/** Runs a command inside the application's context (same configuration and database). */
async function withApp<T>(
  work: (app: INestApplicationContext) => Promise<T>,
  validated: AppConfig = cliConfig(),
): Promise<T> {
  Logger.overrideLogger(['error', 'warn']);
  let config = validated;
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres(config, () => undefined, { reuseRunning: true });
  if (embedded) config = config.withDatabaseUrl(embedded.url);
  if (!config.isProduction) await runPendingMigrations(config);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  try {
    return await work(app);
  } finally {
    await app.close();
    await embedded?.stop();
  }
}

/**
 * An existing account becomes an admin only when asked (--promote) and when its email is
 * verified: otherwise whoever registered the address first would receive admin rights with
 * their own password. A promotion ends the account's sessions and access tokens.
 */
async function createAdmin(email: string, promote: boolean): Promise<number> {
  return withApp(async (app) => {
    const normalised = normaliseEmail(email);
    const existing = await app.get(UsersService).findByEmail(normalised);
    if (existing) {
      if (!promote) {
        process.stderr.write(
          `An account with the email ${normalised} already exists; it was not changed. ` +
            `To make it an admin, add --promote (its email must be verified).\n`,
        );
        return 1;
      }
      if (!existing.emailVerifiedAt) {
        process.stderr.write(
          `Refusing to promote ${normalised}: the account's email is not verified.\n`,
        );
        return 1;
      }
      await app
        .get(AccessAdministration)
        .update('cli', existing.id, { role: 'admin' }, { endSessions: true });
      process.stdout.write(`Promoted admin ${normalised}; their sessions were ended\n`);
      process.stdout.write(adminMfaHint(app.get(AppConfig)));
      return 0;
    }
    let password = process.env.ADMIN_PASSWORD;
    if (!password && process.stdin.isTTY)
      password = await promptHidden(`Password for the new admin ${normalised}: `);
    try {
      // Insert only: an account registered while the operator typed is refused, not promoted.
      await app.get(RegistrationService).createAdmin(normalised, password);
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      process.stderr.write(
        `An account with the email ${normalised} already exists; it was not changed.\n`,
      );
      return 1;
    }
    process.stdout.write(`Created admin ${normalised}\n`);
    process.stdout.write(adminMfaHint(app.get(AppConfig)));
    return 0;
  });
}

/** What a new admin does before the admin routes answer, when they need a second factor. */
function adminMfaHint(config: AppConfig): string {
  const enrol =
    'sign in, then POST /api/v1/auth/mfa/totp/setup and /api/v1/auth/mfa/totp/confirm ' +
    '(an authenticator app), or register a passkey (POST /api/v1/auth/passkeys/register/options ' +
    'and /api/v1/auth/passkeys); then sign in again with the second factor.';
  return config.auth.mfa.requireForAdmins
    ? `Admin routes need a second factor (REQUIRE_ADMIN_MFA is on). To enrol: ${enrol}\n`
    : `Admin routes do not ask for a second factor here (REQUIRE_ADMIN_MFA is off); ` +
        `production turns it on. To enrol: ${enrol}\n`;
}

async function reconcileBilling(): Promise<void> {
  await withApp(async (app) => {
    const changes = await app.get(BillingReconciliationService).reconcile();
    for (const change of changes)
      process.stdout.write(`${change.account}: ${change.from} -> ${change.to}\n`);
    process.stdout.write(`Reconciled with Stripe: ${changes.length} subscription(s) changed\n`);
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      email: { type: 'string' },
      promote: { type: 'boolean' },
      users: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
      'app-role': { type: 'string' },
      'analytics-role': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 1;
  }
  switch (command) {
    case 'create-admin':
      if (!values.email) {
        process.stderr.write('create-admin needs --email <email>\n');
        return 1;
      }
      return createAdmin(values.email, values.promote ?? false);
    case 'seed:activity': {
      const [users, events, days] = [values.users, values.events, values.days ?? '90'].map(Number);
      if (![users, events, days].every((n) => Number.isInteger(n) && n > 0)) {
        process.stderr.write(
          'seed:activity needs --users <n> --events <m> [--days <d>], positive whole numbers\n',
        );
        return 1;
      }
      // The validated configuration, so NODE_ENV=production set only in .env counts too.
      const config = cliConfig();
      if (config.isProduction) {
        process.stderr.write('seed:activity is refused with NODE_ENV=production\n');
        return 1;
      }
      await withApp(async (app) => {
        const report = await app.get(ActivitySeeder).seed(users, events, days);
        process.stdout.write(
          `Seeded ${report.users} users and ${report.events} events in ${report.ms} ms\n`,
        );
      }, config);
      return 0;
    }
    case 'db:roles': {
      loadDotEnv();
      const config = loadConfig();
      const [appPassword, analyticsPassword] = [
        process.env.APP_DB_PASSWORD,
        process.env.ANALYTICS_DB_PASSWORD,
      ];
      if (!config.database.directUrl || !appPassword || !analyticsPassword) {
        process.stderr.write(
          'db:roles needs DATABASE_URL (the owner), APP_DB_PASSWORD and ANALYTICS_DB_PASSWORD\n',
        );
        return 1;
      }
      await setUpDatabaseRoles(config.database.directUrl, {
        statementTimeoutMs: config.database.statementTimeoutMs,
        app: { name: values['app-role'] ?? 'insightsheet_app', password: appPassword },
        analytics: {
          name: values['analytics-role'] ?? 'insightsheet_analytics',
          password: analyticsPassword,
        },
      });
      process.stdout.write('Database roles are set up\n');
      return 0;
    }
    case 'activity:maintain':
      await withApp(async (app) => {
        const report = await app.get(ActivityPartitionsService).maintain();
        process.stdout.write(
          `Activity partitions: ${report.created} created, ${report.dropped.length} dropped\n`,
        );
      });
      return 0;
    case 'billing:reconcile':
      await reconcileBilling();
      return 0;
    default:
      process.stderr.write(`Unknown command "${command}". ${HELP}`);
      return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    const details = (error as { response?: { message?: unknown } }).response?.message;
    process.stderr.write(`Error: ${Array.isArray(details) ? details.join('; ') : message}\n`);
    process.exit(1);
  },
);
