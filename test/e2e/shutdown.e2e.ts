import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProbeModule } from '../support/probe.module.js';
import { startTestApp } from '../support/test-app.js';

describe('graceful shutdown', () => {
  it('turns ready to 503 at once, finishes in-flight requests, then closes', async () => {
    const api = await startTestApp({ imports: [ProbeModule], env: { SHUTDOWN_DRAIN_MS: '1000' } });
    try {
      expect((await api.fetch('/health/ready')).status).toBe(200);
      const inFlight = api.fetch('/api/v1/probe/slow?ms=1500');
      await sleep(100);
      const closing = api.app.close();
      await sleep(100);

      const ready = await api.fetch('/health/ready');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as {
        details: Record<string, { status: string; message?: string }>;
      };
      expect(body.details.lifecycle).toEqual({ status: 'down', message: 'shutting down' });
      expect((await api.fetch('/health/live')).status).toBe(200);

      const slow = await inFlight;
      expect(slow.status).toBe(200);
      expect(await slow.json()).toEqual({ waited: 1500 });
      await closing;
      await expect(api.fetch('/health/live')).rejects.toThrow();
    } finally {
      await api.database?.drop();
    }
  });
});
