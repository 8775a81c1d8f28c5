/**
 * The `pgbouncer` jest project (jest.config.js): the suites' apps and API processes reach
 * PostgreSQL through the run's PgBouncer in transaction mode (see viaPgBouncer).
 */
process.env.TEST_VIA_PGBOUNCER = '1';
