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

/**
 * Three tiers in one run: *.spec.ts beside the code (pure logic), test/integration
 * (repositories and services against real PostgreSQL and Redis) and test/e2e (the real
 * app over HTTP). Global setup creates this run's databases; teardown drops them.
 */
export default {
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
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/test/**/*.test.ts',
    '<rootDir>/test/**/*.e2e.ts',
  ],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
