import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { ProbeModule } from '../support/probe.module.js';
import { json, LogCapture, startTestApp, type TestApp } from '../support/test-app.js';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId: string;
}

describe('request pipeline', () => {
  let api: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    api = await startTestApp({
      imports: [ProbeModule],
      logDestination: logs,
      env: { LOG_LEVEL: 'info', BODY_LIMIT: '2kb' },
    });
  });
  afterAll(() => api.close());

  describe('errors', () => {
    it('answers an unknown route with the error body and the request id', async () => {
      const response = await api.fetch('/api/v1/nothing-here');
      const body = (await response.json()) as ErrorBody;
      expect(response.status).toBe(404);
      expect(body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot GET /api/v1/nothing-here',
        requestId: response.headers.get('x-request-id'),
      });
    });

    // Issue 11, item 5: a known path asked with a method it does not serve was a 404.
    it.each([
      ['DELETE', '/api/v1/auth/login', 'POST, OPTIONS'],
      [
        'POST',
        '/api/v1/admin/users/7f0c6a52-2b8e-4a8e-9d55-0f6f3b1d2c4e',
        'GET, HEAD, PATCH, OPTIONS',
      ],
      ['PUT', '/health/live', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/health/ready', 'GET, HEAD, OPTIONS'],
      ['POST', '/health', 'GET, HEAD, OPTIONS'],
      ['POST', '/metrics', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/docs/openapi.json', 'GET, HEAD, OPTIONS'],
    ])('answers %s %s with 405, Allow: %s and the error body', async (method, path, allow) => {
      const response = await api.fetch(`${path}?page=2`, { method });
      const body = (await response.json()) as ErrorBody;
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(body).toEqual({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `Cannot ${method} ${path}: allowed are ${allow}`,
        requestId: response.headers.get('x-request-id'),
      });
    });

    it('still answers 404 to any method on a path no route has', async () => {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const response = await api.fetch('/api/v1/auth/nothing-here', { method });
        expect(response.status).toBe(404);
        expect(response.headers.get('allow')).toBeNull();
        expect(((await response.json()) as ErrorBody).error).toBe('Not Found');
      }
    });

    it('hides everything internal on a 500 and logs it with the request id', async () => {
      const response = await api.fetch('/api/v1/probe/boom', {
        headers: {
          authorization: 'Bearer very-secret-access-token',
          cookie: 'session=cookie-secret',
        },
      });
      const body = (await response.json()) as ErrorBody;
      expect(response.status).toBe(500);
      expect(body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'Internal server error',
        requestId: response.headers.get('x-request-id'),
      });
      expect(JSON.stringify(body)).not.toMatch(/SELECT|password_hash|stack|at /);
      const errorLine = logs.lines.find(
        (line) => line.requestId === body.requestId && line.level === 'error' && line.err,
      );
      expect(errorLine).toBeDefined();
      expect(logs.text).not.toContain('very-secret-access-token');
      expect(logs.text).not.toContain('cookie-secret');
    });
  });

  describe('validation', () => {
    it('accepts and transforms a valid body', async () => {
      const response = await api.fetch(
        '/api/v1/probe/echo',
        json({ name: 'Ada', count: 3, tag: { label: 'x' } }),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: 'Ada', count: 3, tag: { label: 'x' } });
    });

    it.each([
      ['an unknown field', { name: 'Ada', role: 'admin' }, 'property role should not exist'],
      [
        'an unknown nested field',
        { name: 'Ada', tag: { label: 'x', extra: 1 } },
        'tag.property extra should not exist',
      ],
      ['a wrong type', { name: 42 }, 'name must be a string'],
      ['a missing field', {}, 'name must be a string'],
    ])('rejects %s with 400 naming it', async (_case, payload, expected) => {
      const response = await api.fetch('/api/v1/probe/echo', json(payload));
      const body = (await response.json()) as ErrorBody;
      expect(response.status).toBe(400);
      expect(body.error).toBe('Bad Request');
      expect(body.message).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
      expect(body.requestId).toBe(response.headers.get('x-request-id'));
    });

    it.each([
      ['__proto__', '{"name":"Ada","__proto__":{"isAdmin":true}}'],
      ['constructor', '{"name":"Ada","constructor":{"prototype":{"isAdmin":true}}}'],
    ])('rejects a %s key with 400 and pollutes nothing', async (_key, raw) => {
      const response = await api.fetch('/api/v1/probe/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      expect(response.status).toBe(400);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    // Issue 10, item 8: 1,500+ levels overflowed class-transformer's stack: a 500 with an
    // error-level stack in the log, on any JSON route, without signing in.
    it('refuses a body nested thousands of levels deep with 400 before validation', async () => {
      const deepLogs = new LogCapture();
      const deep = await startTestApp({ logDestination: deepLogs, env: { LOG_LEVEL: 'info' } });
      try {
        const levels = 5000;
        for (const path of ['/api/v1/auth/login', '/api/v1/auth/password/forgot']) {
          const response = await deep.fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: `{"email":"a@example.com","password":${'['.repeat(levels)}${']'.repeat(levels)}}`,
          });
          expect(response.status).toBe(400);
          expect(((await response.json()) as ErrorBody).message).toMatch(/nested deeper than 32/);
        }
        expect(deepLogs.lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
      } finally {
        await deep.close();
      }
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await api.fetch('/api/v1/probe/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).requestId).toBeTruthy();
    });
  });

  describe('bodies', () => {
    it('answers 413 past BODY_LIMIT', async () => {
      const response = await api.fetch('/api/v1/probe/echo', json({ name: 'x'.repeat(3000) }));
      expect(response.status).toBe(413);
      expect(((await response.json()) as ErrorBody).statusCode).toBe(413);
    });

    it.each([
      ['POST', 'multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
      ['POST', 'application/octet-stream', 'binary'],
      ['PUT', 'application/octet-stream', 'binary'],
      ['POST', 'text/plain', 'hello'],
      ['POST', 'application/x-www-form-urlencoded', 'name=Ada'],
      ['GET', 'multipart/form-data; boundary=x', undefined],
    ])('answers 415 to %s %s', async (method, type, body) => {
      const response = await api.fetch('/api/v1/probe/echo', {
        method,
        headers: { 'content-type': type },
        body,
      });
      expect(response.status).toBe(415);
      const error = (await response.json()) as ErrorBody;
      expect(error).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    });

    it('keeps the exact raw body for signature checks', async () => {
      const raw = '{ "name" :  "Ada",\n  "spaces": true }';
      const response = await api.fetch('/api/v1/probe/raw', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        sha256: createHash('sha256').update(raw).digest('hex'),
      });
    });
  });

  describe('request ids', () => {
    it('generates one when absent', async () => {
      const response = await api.fetch('/health/live');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('echoes a well-formed one', async () => {
      const response = await api.fetch('/api/v1/missing', {
        headers: { 'x-request-id': 'lb-trace-0123456789' },
      });
      expect(response.headers.get('x-request-id')).toBe('lb-trace-0123456789');
      expect(((await response.json()) as ErrorBody).requestId).toBe('lb-trace-0123456789');
    });

    it.each(['short', 'has spaces in it', 'x'.repeat(200), '<script>alert(1)</script>'])(
      'replaces a malformed one (%s)',
      async (bad) => {
        const response = await api.fetch('/health/live', { headers: { 'x-request-id': bad } });
        const id = response.headers.get('x-request-id');
        expect(id).not.toBe(bad);
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
      },
    );
  });

  describe('security headers', () => {
    it('sets HSTS, nosniff, frame-ancestors and referrer policy, and no X-Powered-By', async () => {
      const response = await api.fetch('/health/live');
      expect(response.headers.get('strict-transport-security')).toMatch(
        /max-age=\d+; includeSubDomains/,
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-powered-by')).toBeNull();
    });
  });

  describe('CORS', () => {
    it('allows a configured origin exactly, with credentials and Vary: Origin', async () => {
      const response = await api.fetch('/health/live', {
        headers: { origin: 'https://app.insightsheet.test' },
      });
      expect(response.headers.get('access-control-allow-origin')).toBe(
        'https://app.insightsheet.test',
      );
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('vary')).toMatch(/Origin/i);
    });

    it('answers a preflight from a configured origin', async () => {
      const response = await api.fetch('/api/v1/probe/echo', {
        method: 'OPTIONS',
        headers: {
          origin: 'https://admin.insightsheet.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(
        'https://admin.insightsheet.test',
      );
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    });

    it.each([
      'https://evil.example',
      'null',
      'https://app.insightsheet.test.evil.example',
      'http://app.insightsheet.test',
    ])('refuses %s', async (origin) => {
      const response = await api.fetch('/health/live', { headers: { origin } });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });
  });

  describe('OpenAPI', () => {
    it('serves the spec and the UI', async () => {
      const spec = await api.fetch('/docs/openapi.json');
      expect(spec.status).toBe(200);
      const document = (await spec.json()) as { openapi: string; paths: Record<string, unknown> };
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/health/live', '/health/ready']),
      );
      const ui = await api.fetch('/docs');
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');
    });
  });

  describe('logging', () => {
    it('writes one line per request with id, method, route, status and latency', async () => {
      const response = await api.fetch(
        '/api/v1/probe/echo',
        json({ name: 'Ada' }, { 'x-request-id': 'log-line-check-01' }),
      );
      expect(response.status).toBe(200);
      const lines = logs.lines.filter(
        (line) => line.requestId === 'log-line-check-01' && line.msg === 'request',
      );
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ method: 'POST', route: '/api/v1/probe/echo', status: 200 });
      expect(typeof lines[0].ms).toBe('number');
    });

    it('writes no line for health probes', async () => {
      await api.fetch('/health/live', { headers: { 'x-request-id': 'health-no-log-01' } });
      expect(logs.lines.some((line) => line.requestId === 'health-no-log-01')).toBe(false);
    });

    it('never logs passwords or tokens', async () => {
      await api.fetch(
        '/api/v1/probe/echo',
        json(
          { name: 'Ada', password: 'hunter2-password', refreshToken: 'refresh-secret' },
          { authorization: 'Bearer abc.def.ghi' },
        ),
      );
      expect(logs.text).not.toContain('hunter2-password');
      expect(logs.text).not.toContain('refresh-secret');
      expect(logs.text).not.toContain('abc.def.ghi');
    });
  });
});
