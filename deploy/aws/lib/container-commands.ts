/**
 * The API reads whole connection URLs (DATABASE_URL, READ_REPLICA_URL, REDIS_URL), while ECS
 * injects each secret as a variable of its own. A container therefore starts through `sh -c`:
 * it assembles the URLs from the injected parts, then `exec`s the process, which stays PID 1
 * and receives SIGTERM itself. The generated passwords are letters and digits only, so they
 * need no escaping inside a URL.
 */

export const DATABASE_NAME = 'insightsheet';
export const OWNER_ROLE = 'insightsheet';
export const APP_ROLE = 'insightsheet_app';
export const ANALYTICS_ROLE = 'insightsheet_analytics';

/**
 * TLS to RDS without verifying the certificate against Amazon's CA (the image carries no RDS CA
 * bundle): libpq's `require`. pg 8 would otherwise read `sslmode=require` as verify-full.
 */
const DB_TLS = 'uselibpqcompat=true&sslmode=require';

/**
 * `$NAME`, not `${NAME}`: CloudFormation's template checks read `${...}` outside Fn::Sub as a
 * mistake. Every reference below is followed by a character that ends a shell name (: @ / ").
 */
const ref = (name: string) => `$${name}`;

const postgresUrl = (user: string, password: string, host: string) =>
  `postgres://${user}:${ref(password)}@${ref(host)}:${ref('DB_PORT')}/${DATABASE_NAME}?${DB_TLS}`;

/** Variables the API task assembles: the app role on the primary, the analytics role on the replica. */
export const apiUrls: Record<string, string> = {
  DATABASE_URL: postgresUrl(APP_ROLE, 'APP_DB_PASSWORD', 'DB_HOST'),
  READ_REPLICA_URL: postgresUrl(ANALYTICS_ROLE, 'ANALYTICS_DB_PASSWORD', 'DB_REPLICA_HOST'),
  REDIS_URL: `rediss://:${ref('REDIS_AUTH_TOKEN')}@${ref('REDIS_HOST')}:${ref('REDIS_PORT')}`,
};

/** Variables the owner's tasks (migrations, db:roles, activity:maintain) assemble. */
export const ownerUrls: Record<string, string> = {
  DATABASE_URL: postgresUrl(OWNER_ROLE, 'DB_OWNER_PASSWORD', 'DB_HOST'),
};

/**
 * `sh -c 'export A="..." B="..." && step1 && exec step2'`, as an ECS command array: the steps
 * run in order, each only if the one before succeeded, and the last one replaces the shell.
 */
export function startWith(urls: Record<string, string>, steps: string[]): string[] {
  const assignments = Object.entries(urls)
    .map(([name, value]) => `${name}="${value}"`)
    .join(' ');
  const last = steps.length - 1;
  const script = steps.map((step, index) => (index === last ? `exec ${step}` : step));
  return ['sh', '-c', [`export ${assignments}`, ...script].join(' && ')];
}

export const API_STEPS = ['node dist/src/main.js'];
/** The release's one-off task: pending migrations, then the roles (db:roles after each release). */
export const MIGRATE_STEPS = [
  'node node_modules/typeorm/cli.js migration:run -d dist/src/data-source.js',
  `node dist/src/cli.js db:roles --app-role ${APP_ROLE} --analytics-role ${ANALYTICS_ROLE}`,
];
/** Partitions are DDL: the app role cannot create them, so the owner runs this on a schedule. */
export const MAINTAIN_STEPS = ['node dist/src/cli.js activity:maintain'];
