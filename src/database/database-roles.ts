import pg from 'pg';

export interface RoleSetup {
  /** The application's role: data only (SELECT, INSERT, UPDATE, DELETE), no DDL. */
  app: { name: string; password: string };
  /** The analytics role: SELECT only. */
  analytics: { name: string; password: string };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates (or updates) the least-privilege roles of the seed's security section, connected as
 * the schema's owner (the migration role). Default privileges make the grants cover tables
 * created later by migrations and by partition maintenance, which runs as the owner.
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
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${analytics}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${analytics}`,
    );
  } finally {
    await client.end();
  }
}
