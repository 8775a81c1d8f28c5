import { describe, expect, it, jest } from '@jest/globals';
import Fastify from 'fastify';
import { Writable } from 'node:stream';
import { loadConfig } from '../../config/app-config.js';
import { createLoggers } from './logger.js';
import { requestLog } from './request-log.js';

async function serverWithLines() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const { logger } = createLoggers(
    loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }),
    destination,
  );
  const children = jest.spyOn(logger, 'child');
  const server = Fastify({
    loggerInstance: logger,
    disableRequestLogging: true,
    requestIdLogLabel: 'requestId',
    genReqId: () => 'request-1',
    childLoggerFactory: requestLog,
  });
  server.get('/quiet', async () => ({ ok: true }));
  server.get('/level', { logLevel: 'warn' }, async (request) => ({ level: request.log.level }));
  server.get('/noisy', async (request) => {
    request.log.warn({ authorization: 'Bearer secret-token', step: 2 }, 'Something to say');
    request.log.info('And more');
    return { ok: true };
  });
  await server.ready();
  children.mockClear(); // Fastify's own child for the server, made once
  return { server, lines, children };
}

describe('requestLog', () => {
  it('makes no child logger for a request that writes nothing', async () => {
    const { server, lines, children } = await serverWithLines();
    expect((await server.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(children).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it("reports a route's own log level before any line is written", async () => {
    const { server, children } = await serverWithLines();
    expect((await server.inject({ url: '/level' })).json()).toEqual({ level: 'warn' });
    expect(children).not.toHaveBeenCalled();
  });

  it("writes a request's lines with its id and through the redaction, from one child", async () => {
    const { server, lines, children } = await serverWithLines();
    expect((await server.inject({ url: '/noisy' })).statusCode).toBe(200);
    expect(children).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([
      expect.objectContaining({
        requestId: 'request-1',
        msg: 'Something to say',
        authorization: '[redacted]',
        step: 2,
      }),
      expect.objectContaining({ requestId: 'request-1', msg: 'And more' }),
    ]);
  });
});
