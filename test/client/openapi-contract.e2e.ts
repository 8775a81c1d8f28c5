import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { contractViolations, ERROR_REF, type Document } from './contract-rules.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/openapi.mjs');
const COMMITTED_DOCUMENT = join(ROOT, 'test/client/openapi.json');
const COMMITTED_CLIENT = join(ROOT, 'test/client/generated');
const REGENERATE = 'the committed contract is stale: run `npm run openapi` and commit the result';

/** Redocly warnings accepted, each for a reason. */
const ACCEPTED_WARNINGS = [
  // The API is private: there is no licence to point to.
  { rule: 'info-license', where: '#/info' },
  // Health checks take no input and no credentials: no 4xx answer exists to document.
  { rule: 'operation-4xx-response', where: '#/paths/~1health/get/responses' },
  { rule: 'operation-4xx-response', where: '#/paths/~1health~1ready/get/responses' },
  { rule: 'operation-4xx-response', where: '#/paths/~1health~1live/get/responses' },
];

interface Problem {
  severity: 'error' | 'warn';
  rule: string;
  message: string;
  where: string;
}

async function files(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(relative(dir, path), await readFile(path, 'utf8'));
  }
  return found;
}

type Operation = {
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
};

function operations(document: Document): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, operation]) =>
        [method, path, operation as Operation] as [string, string, Operation],
    ),
  );
}

describe('the OpenAPI contract', () => {
  let api: TestApp;
  let served: Document & { components: { schemas: Record<string, unknown> } };
  let workDir: string;
  let servedPath: string;

  beforeAll(async () => {
    api = await startTestApp();
    const response = await api.fetch('/docs/openapi.json');
    expect(response.status).toBe(200);
    served = (await response.json()) as typeof served;
    workDir = await mkdtemp(join(tmpdir(), 'openapi-'));
    servedPath = join(workDir, 'openapi.json');
    await writeFile(servedPath, `${JSON.stringify(served, null, 2)}\n`);
  });
  afterAll(async () => {
    await api?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('is served exactly as committed in test/client/openapi.json (written by npm run openapi)', async () => {
    const committed = JSON.parse(await readFile(COMMITTED_DOCUMENT, 'utf8')) as unknown;
    expect({ served, hint: REGENERATE }).toEqual({ served: committed, hint: REGENERATE });
  });

  it("validates under Redocly's recommended rules: no error, and only the accepted warnings", async () => {
    const { stdout } = await run(process.execPath, [SCRIPT, 'lint', servedPath], { cwd: ROOT });
    const problems = JSON.parse(stdout) as Problem[];
    expect(problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    const warnings = problems.map(({ rule, where }) => ({ rule, where }));
    for (const warning of warnings) expect(ACCEPTED_WARNINGS).toContainEqual(warning);
  });

  it('the linter used above finds a broken reference (the check can fail)', async () => {
    const broken = structuredClone(served);
    (broken.components.schemas as Record<string, unknown>).PlanDto = {
      type: 'object',
      properties: { prices: { $ref: '#/components/schemas/Missing' } },
    };
    const brokenPath = join(workDir, 'broken.json');
    await writeFile(brokenPath, JSON.stringify(broken));
    const { stdout } = await run(process.execPath, [SCRIPT, 'lint', brokenPath], { cwd: ROOT });
    expect(JSON.parse(stdout)).toContainEqual(
      expect.objectContaining({ severity: 'error', rule: 'no-unresolved-refs' }),
    );
  });

  it('generates, offline and byte for byte, the client committed in test/client/generated', async () => {
    const outDir = join(workDir, 'generated');
    await run(process.execPath, [SCRIPT, 'client', servedPath, outDir], { cwd: ROOT });
    const generated = await files(outDir);
    const committed = await files(COMMITTED_CLIENT);
    expect([...generated.keys()].sort()).toEqual([...committed.keys()].sort());
    for (const [path, text] of generated) {
      expect({ path, text, hint: REGENERATE }).toEqual({
        path,
        text: committed.get(path),
        hint: REGENERATE,
      });
    }
  }, 60_000);

  it('gives every operation a 2xx schema and the shared error body on each documented error', () => {
    expect(contractViolations(served)).toEqual([]);
  });

  it('the rule above reports an operation without schemas (a route added without them fails)', () => {
    const broken = structuredClone(served);
    broken.paths['/api/v1/new-route'] = {
      get: { responses: { '200': { description: 'ok' }, '404': { description: 'gone' } } },
    };
    expect(contractViolations(broken)).toEqual([
      'GET /api/v1/new-route 200: no response schema',
      `GET /api/v1/new-route 404: not the shared error body (${ERROR_REF})`,
    ]);
  });

  it('documents the answers every route gives by its kind', () => {
    const missing: string[] = [];
    for (const [method, path, operation] of operations(served)) {
      const name = `${method.toUpperCase()} ${path}`;
      const expectCodes = (codes: string[]) => {
        for (const code of codes) if (!operation.responses[code]) missing.push(`${name} ${code}`);
      };
      expectCodes(['503']);
      if (['post', 'put', 'patch', 'delete'].includes(method)) expectCodes(['400', '413', '415']);
      if (path.startsWith('/api/v1/admin/')) expectCodes(['401', '403']);
      if (!path.startsWith('/health') && path !== '/metrics' && path !== '/api/v1/billing/webhook')
        expectCodes(['429']);
      const security = operation.security;
      if (security === undefined) missing.push(`${name} security`);
      else if (security.some((requirement) => 'bearer' in requirement)) expectCodes(['401']);
    }
    expect(missing).toEqual([]);
  });

  it('documents the constraints the server enforces', () => {
    const schemas = served.components.schemas as Record<
      string,
      { properties: Record<string, Record<string, unknown>> }
    >;
    const parameter = (path: string, method: string, name: string) =>
      (
        served.paths[path][method] as unknown as {
          parameters: { name: string; schema: Record<string, unknown> }[];
        }
      ).parameters.find((candidate) => candidate.name === name)?.schema;

    expect(schemas.RegisterDto.properties.password).toMatchObject({ minLength: 8 });
    expect(schemas.ResetPasswordDto.properties.password).toMatchObject({ minLength: 8 });
    expect(schemas.ResetPasswordDto.properties.token).toMatchObject({ minLength: 1 });
    expect(schemas.RefreshDto.properties.refreshToken).toMatchObject({ minLength: 1 });
    expect(schemas.ActivityBatchDto.properties.events).toMatchObject({
      minItems: 1,
      maxItems: 100,
    });
    expect(schemas.ActivityPageDto.properties.nextCursor).toEqual(
      expect.objectContaining({ type: 'string', nullable: true }),
    );
    for (const field of ['userId', 'resource', 'resourceId', 'ipAddress', 'userAgent'])
      expect(schemas.ActivityItemDto.properties[field]).toMatchObject({
        type: 'string',
        nullable: true,
      });
    expect(parameter('/api/v1/admin/users/{id}', 'get', 'id')).toMatchObject({ format: 'uuid' });
    expect(parameter('/api/v1/admin/users', 'get', 'limit')).toMatchObject({
      minimum: 1,
      maximum: 100,
    });
    expect(parameter('/api/v1/admin/users', 'get', 'page')).toMatchObject({ minimum: 1 });
    expect(parameter('/api/v1/activity/me', 'get', 'limit')).toMatchObject({
      minimum: 1,
      maximum: 200,
    });
    expect(parameter('/api/v1/admin/activity', 'get', 'action')).toMatchObject({
      pattern: '^[a-z][a-z0-9_.:-]{0,99}$',
    });
    expect(served.paths['/api/v1/billing/webhook'].post).toMatchObject({
      security: [{ stripeSignature: [] }],
    });
    expect(served.paths['/metrics'].get).toMatchObject({
      responses: { '200': { content: { 'text/plain': { schema: { type: 'string' } } } } },
    });
    expect(served.paths['/api/v1/plans'].get).toMatchObject({ security: [] });
  });
});
