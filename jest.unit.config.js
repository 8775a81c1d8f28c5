import base from './jest.config.js';

/**
 * The specs beside the code, alone: no build and no run-wide databases. A spec that needs
 * PostgreSQL makes its own with test/support/spec-database.ts.
 */
export default {
  ...base,
  projects: undefined,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
