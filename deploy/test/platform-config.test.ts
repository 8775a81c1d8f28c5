import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * railway.json and render.yaml against the fields each platform documents (vendored under
 * fixtures/, with their sources), and against this repository: the Dockerfile they build, the
 * migration command the image runs, the readiness route, the drain.
 */
const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

type Spec = Record<string, { enum?: string[]; type?: string; minimum?: number; maximum?: number }>;

/** Every key is documented, and its value has the documented type or one of the listed values. */
function expectDocumented(what: string, object: Record<string, unknown>, spec: Spec): void {
  for (const [key, value] of Object.entries(object)) {
    const field = spec[key];
    expect({ [what]: key, documented: Boolean(field) }).toEqual({ [what]: key, documented: true });
    if (field.enum) expect(field.enum).toContain(value);
    if (field.type === 'array') expect(Array.isArray(value)).toBe(true);
    else if (field.type) expect({ [key]: typeof value }).toEqual({ [key]: field.type });
    if (field.minimum !== undefined) expect(value).toBeGreaterThanOrEqual(field.minimum);
    if (field.maximum !== undefined) expect(value).toBeLessThanOrEqual(field.maximum);
  }
}

/** The image's migration step, as docker/compose.yml's one-shot `migrate` service runs it. */
const composeMigrate = (
  parse(read('docker/compose.yml')) as { services: { migrate: { command: string[] } } }
).services.migrate.command.join(' ');

/** SHUTDOWN_DRAIN_MS's default plus the 10 s the API gives in-flight requests after it. */
const drainDefaultMs = Number(/SHUTDOWN_DRAIN_MS=(\d+)/.exec(read('.env.example'))?.[1]);
const stopAfterSeconds = drainDefaultMs / 1000 + 10;

/** Runs a platform's start command through a shell with a stand-in `node` that prints its input. */
function runWithFakeNode(command: string, env: Record<string, string>): string[] {
  const bin = mkdtempSync(join(tmpdir(), 'insightsheet-node-'));
  try {
    writeFileSync(join(bin, 'node'), '#!/bin/sh\nprintf "%s\\n" "$*" "$JWT_SECRET"\n');
    chmodSync(join(bin, 'node'), 0o755);
    return execFileSync('/bin/sh', ['-c', command], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
    }).split('\n');
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('railway.json', () => {
  const railway = JSON.parse(read('railway.json'));
  const spec = fixture('railway-config-as-code.json');

  it('uses only the fields Railway documents, with documented values', () => {
    for (const key of Object.keys(railway)) expect(spec.topLevel).toContain(key);
    expectDocumented('build', railway.build, spec.build);
    expectDocumented('deploy', railway.deploy, spec.deploy);
    for (const region of Object.values(railway.deploy.multiRegionConfig) as object[])
      for (const key of Object.keys(region)) expect(spec.multiRegionConfigEntry).toContain(key);
  });

  it('builds the production Dockerfile', () => {
    expect(railway.build.builder).toBe('DOCKERFILE');
    expect(existsSync(join(root, railway.build.dockerfilePath))).toBe(true);
  });

  it("migrates before deploying, with the image's migration command", () => {
    expect(railway.deploy.preDeployCommand).toEqual([composeMigrate]);
  });

  it('health-checks readiness, restarts on failure, drains, and runs two replicas', () => {
    expect(railway.deploy.healthcheckPath).toBe('/health/ready');
    expect(railway.deploy.restartPolicyType).toBe('ON_FAILURE');
    expect(railway.deploy.drainingSeconds).toBeGreaterThan(stopAfterSeconds);
    const replicas = Object.values(railway.deploy.multiRegionConfig) as { numReplicas: number }[];
    expect(replicas.reduce((sum, region) => sum + region.numReplicas, 0)).toBeGreaterThanOrEqual(2);
  });
});

describe('render.yaml', () => {
  type EnvVar = Record<string, unknown> & { key?: string };
  type Service = Record<string, unknown> & { type: string; name: string; envVars?: EnvVar[] };
  type Database = Record<string, unknown> & { name: string };
  const blueprint = parse(read('render.yaml'), { uniqueKeys: true, strict: true }) as {
    services: Service[];
    databases: Database[];
    envVarGroups: { name: string; envVars: EnvVar[] }[];
  };
  const spec = fixture('render-blueprint-spec.json');
  const web = blueprint.services.find((service) => service.type === 'web') as Service;
  const env = (key: string) => web.envVars?.find((entry) => entry.key === key);

  it('uses only the fields Render documents, with documented values', () => {
    for (const key of Object.keys(blueprint)) expect(spec.topLevel).toContain(key);
    for (const { envVars, ...service } of blueprint.services) {
      expectDocumented('service', service, spec.service);
      for (const entry of envVars ?? [])
        for (const key of Object.keys(entry)) expect(spec.envVar).toContain(key);
    }
    for (const database of blueprint.databases)
      expectDocumented('database', database, spec.database);
    for (const group of blueprint.envVarGroups) {
      for (const key of Object.keys(group)) expect(spec.envVarGroup).toContain(key);
      for (const entry of group.envVars)
        for (const key of Object.keys(entry)) expect(spec.envVar).toContain(key);
    }
  });

  it('builds the production Dockerfile and migrates before deploying', () => {
    expect(web.runtime).toBe('docker');
    expect(existsSync(join(root, web.dockerfilePath as string))).toBe(true);
    expect(web.preDeployCommand).toContain(`exec ${composeMigrate}'`);
  });

  it('health-checks readiness, drains, and deploys only once checks pass', () => {
    expect(web.healthCheckPath).toBe('/health/ready');
    expect(web.autoDeployTrigger).toBe('checksPass');
    expect(web.maxShutdownDelaySeconds).toBeGreaterThan(stopAfterSeconds);
    expect(web.numInstances).toBeGreaterThanOrEqual(2);
  });

  it('wires a Render PostgreSQL 15 and Key Value to DATABASE_URL and REDIS_URL', () => {
    const database = env('DATABASE_URL')?.fromDatabase as { name: string; property: string };
    expect(database.property).toBe('connectionString');
    expect(blueprint.databases.find((entry) => entry.name === database.name)).toMatchObject({
      postgresMajorVersion: '15',
      ipAllowList: [],
    });
    const redis = env('REDIS_URL')?.fromService as { type: string; name: string; property: string };
    expect(redis).toMatchObject({ type: 'keyvalue', property: 'connectionString' });
    expect(spec.fromServiceProperty).toContain(redis.property);
    expect(
      blueprint.services.find((entry) => entry.type === 'keyvalue' && entry.name === redis.name),
    ).toMatchObject({ ipAllowList: [] });
  });

  it('keeps secrets in a generated environment group, and sets no secret in the file', () => {
    const group = blueprint.envVarGroups.find((entry) =>
      web.envVars?.some((envVar) => envVar.fromGroup === entry.name),
    );
    expect(group?.envVars.every((entry) => entry.generateValue === true)).toBe(true);
    for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'SMTP_URL', 'FRONTEND_URL'])
      expect(env(key)).toEqual({ key, sync: false });
    const plain = (web.envVars ?? []).filter((entry) => 'value' in entry).map((entry) => entry.key);
    expect(plain.sort()).toEqual(['NODE_ENV', 'SHUTDOWN_DRAIN_MS', 'TRUST_PROXY']);
  });

  it('names only variables the API reads (besides the two halves of JWT_SECRET)', () => {
    const known = new Set(
      [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]),
    );
    const keys = [...(web.envVars ?? []), ...blueprint.envVarGroups.flatMap((g) => g.envVars)]
      .map((entry) => entry.key)
      .filter((key): key is string => Boolean(key) && !key!.startsWith('JWT_SECRET_PART_'));
    for (const key of keys) expect({ key, known: known.has(key) }).toEqual({ key, known: true });
  });

  it('joins the two generated halves into a JWT_SECRET production accepts, then execs node', () => {
    // Render generates base64-encoded 256-bit values: 44 characters each.
    const half = (char: string) => `${char.repeat(43)}=`;
    const parts = { JWT_SECRET_PART_1: half('a'), JWT_SECRET_PART_2: half('b') };
    const [startArgs, startSecret] = runWithFakeNode(web.dockerCommand as string, parts);
    expect(startArgs).toBe('dist/src/main.js');
    expect(startSecret).toBe(parts.JWT_SECRET_PART_1 + parts.JWT_SECRET_PART_2);
    expect(startSecret.length).toBeGreaterThanOrEqual(64);
    const [migrateArgs, migrateSecret] = runWithFakeNode(web.preDeployCommand as string, parts);
    expect(`node ${migrateArgs}`).toBe(composeMigrate);
    expect(migrateSecret).toBe(startSecret);
  });
});

describe('the migration command both platforms run', () => {
  it('is the one the Dockerfile documents, on a data source the build produces', () => {
    expect(read('docker/Dockerfile')).toContain(composeMigrate);
    expect(composeMigrate).toContain('dist/src/data-source.js');
    expect(read('src/data-source.ts')).toContain('export default new DataSource');
  });
});
