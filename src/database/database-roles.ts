import pg from 'pg';

export interface RoleSetup {
  /** The application's role: data only (SELECT, INSERT, UPDATE, DELETE), no DDL. */
  app: { name: string; password: string };
  /** The analytics role: SELECT on ANALYTICS_READS only. */
  analytics: { name: string; password: string };
  /**
   * Both roles' statement_timeout in this database (DB_STATEMENT_TIMEOUT_MS). Their connections
   * carry it however they come: behind a transaction-mode pooler the API cannot ask for it when
   * a connection opens.
   */
  statementTimeoutMs?: number;
}

/**
 * Everything the analytics role may read: whole tables (`'all'`) or the listed columns. It is
 * what the reads sent to the read connection select (the admin overview and the activity
 * listings), and nothing else: never a password hash, token hash, ciphertext or session.
 * An allow-list on purpose: a table added later stays unreadable to analytics until it is
 * listed here. The activity and rollup tables hold no secrets and are granted whole, so a
 * column added to them reaches the replica reads without a new grant.
 */
export const ANALYTICS_READS: Readonly<Record<string, 'all' | readonly string[]>> = {
  users: ['id', 'role', 'is_active', 'last_login', 'created_at', 'updated_at'],
  subscriptions: [
    'id',
    'user_id',
    'plan',
    'status',
    'features',
    'current_period_start',
    'current_period_end',
    'cancel_at_period_end',
    'manual_plan',
    'manual_until',
    'created_at',
    'updated_at',
  ],
  user_activities: 'all',
  activity_daily_actions: 'all',
  activity_daily_users: 'all',
  activity_daily_active: 'all',
  activity_user_last_active: 'all',
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The job queue's schema (src/mail/job-queue.ts, created by the MailQueue migration). */
const JOB_SCHEMA = 'pgboss';

/**
 * Creates (or updates) the least-privilege roles of the seed's security section, connected as
 * the schema's owner (the migration role). The app role's default privileges cover tables
 * created later by migrations and by partition maintenance, which runs as the owner. The
 * analytics role gets ANALYTICS_READS and nothing else, granted afresh on every run (so a
 * re-run also withdraws what an earlier version granted); re-run after migrations.
 */
export async function setUpDatabaseRoles(ownerUrl: string, roles: RoleSetup): Promise<void> {
  for (const role of [roles.app, roles.analytics]) {
    if (!IDENTIFIER.test(role.name)) throw new Error(`"${role.name}" is not a valid role name`);
    if (role.password.length < 16)
      throw new Error(`The password of ${role.name} must be at least 16 characters`);
  }
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const [{ database }] = (
      await client.query<{ database: string }>('SELECT current_database() AS database')
    ).rows;
    const ident = (name: string) => client.escapeIdentifier(name);
    for (const role of [roles.app, roles.analytics]) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await client.query(
        `${verb} ROLE ${ident(role.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(role.password)}`,
      );
      await client.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(role.name)}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${ident(role.name)}`);
      await client.query(`REVOKE CREATE ON SCHEMA public FROM ${ident(role.name)}`);
      if (roles.statementTimeoutMs !== undefined) {
        await client.query(
          `ALTER ROLE ${ident(role.name)} IN DATABASE ${ident(database)} SET statement_timeout = ${Math.trunc(roles.statementTimeoutMs)}`,
        );
      }
    }
    const app = ident(roles.app.name);
    const analytics = ident(roles.analytics.name);
    await client.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    );
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    );
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`,
    );
    // The job queue's schema (pg-boss): its data only, like public. The analytics role gets
    // nothing there: queued jobs hold mail.
    const jobs = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [JOB_SCHEMA]);
    if (jobs.rowCount) {
      const schema = ident(JOB_SCHEMA);
      await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${app}`);
      await client.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${app}`,
      );
      await client.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
      );
    }
    await client.query('BEGIN');
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${analytics}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${analytics}`,
    );
    for (const [table, columns] of Object.entries(ANALYTICS_READS)) {
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      );
      if (rows.length === 0) continue; // not created yet by this database's migrations
      if (columns === 'all') {
        await client.query(`GRANT SELECT ON ${ident(table)} TO ${analytics}`);
        continue;
      }
      const present = columns.filter((column) => rows.some((row) => row.column_name === column));
      await client.query(
        `GRANT SELECT (${present.map(ident).join(', ')}) ON ${ident(table)} TO ${analytics}`,
      );
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
