import { existsSync } from 'node:fs';

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
  },
];

/** How every test file is loaded, in both projects below. */
const project = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['reflect-metadata'],
  setupFilesAfterEnv: ['<rootDir>/test/support/esm-interop.setup.ts'],
  transform: {
    '/node_modules/@nestjs/throttler/.+\\.js$':
      '<rootDir>/test/support/esm-interop.transformer.cjs',
    '^.+\\.(t|j)sx?$': swc,
  },
  // cookie 2 and content-disposition 3 ship only as ESM but are require()d by Fastify's
  // inject and @fastify/static: jest's module system must transform them.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition|@nestjs/throttler)/)'],
};

const testMatch = [
  '<rootDir>/src/**/*.spec.ts',
  '<rootDir>/test/**/*.test.ts',
  '<rootDir>/test/**/*.e2e.ts',
];

/**
 * The suites that run a second time with PostgreSQL behind a real PgBouncer in transaction mode
 * (issue 17, item 4): together they use every module (auth with sessions and MFA, users,
 * subscriptions and quotas, the Stripe webhook, workspaces, activity intake and reads, the mail
 * queue in process and across processes, health), and pgbouncer.e2e.ts proves the sharing.
 */
const viaPgBouncer = [
  'pgbouncer',
  'health',
  'auth-register-login',
  'sessions',
  'mfa',
  'users-admin',
  'subscriptions-usage',
  'billing',
  'workspaces',
  'activity',
  'mail-queue',
  'mail-instances',
].map((name) => `<rootDir>/test/e2e/${name}.e2e.ts`);

/** Debian's pgbouncer (.ci/run installs it); without it, and outside CI, that project is left out. */
const pgbouncerInstalled = [
  process.env.PGBOUNCER_BIN,
  '/usr/sbin/pgbouncer',
  '/usr/bin/pgbouncer',
].some((path) => path && existsSync(path));

/**
 * The deployment files (deploy/): railway.json, render.yaml and the workflows, and the AWS CDK
 * app's template. The CDK app has its own package.json: its tests resolve aws-cdk-lib from
 * deploy/aws/node_modules (`npm ci --prefix deploy/aws`, which .ci/run runs). Without that
 * folder, and outside CI, its tests are left out.
 */
const cdkInstalled = existsSync(new URL('./deploy/aws/node_modules/aws-cdk-lib', import.meta.url));
const deployProject = {
  ...project,
  displayName: 'deploy',
  testMatch: ['<rootDir>/deploy/**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/cdk\\.out/',
    ...(cdkInstalled || process.env.CI ? [] : ['<rootDir>/deploy/aws/']),
  ],
};

/**
 * Three tiers in one run: *.spec.ts beside the code (pure logic), test/integration
 * (repositories and services against real PostgreSQL and Redis) and test/e2e (the real
 * app over HTTP), all in the `direct` project; the `pgbouncer` project runs a subset again
 * through PgBouncer (`--selectProjects direct` skips it); the `deploy` project checks the
 * deployment files. Global setup creates this run's
 * databases and PgBouncer; teardown drops them.
 */
export default {
  ...project,
  testMatch,
  projects: [
    {
      ...project,
      displayName: 'direct',
      testMatch,
      testPathIgnorePatterns: ['/node_modules/', '/test/e2e/pgbouncer\\.e2e\\.ts$'],
    },
    ...(pgbouncerInstalled || process.env.CI
      ? [
          {
            ...project,
            displayName: 'pgbouncer',
            testMatch: viaPgBouncer,
            setupFiles: [...project.setupFiles, '<rootDir>/test/support/via-pgbouncer.setup.ts'],
          },
        ]
      : []),
    deployProject,
  ],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
