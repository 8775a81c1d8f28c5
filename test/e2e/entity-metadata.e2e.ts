import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { entities } from '../../src/entities.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The app loads the entities its modules register; the migration CLI uses the list in
 * src/entities.ts. The two must name the same tables, or migration:generate and the app
 * disagree about the schema.
 */
describe('entity metadata', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(() => api.close());

  it("holds exactly the entities of the migration CLI's list", () => {
    const loaded = api.app.get(DataSource).entityMetadatas.map((metadata) => metadata.target);
    expect(new Set(loaded)).toEqual(new Set(entities));
  });
});
