import { describe, expect, it } from '@jest/globals';
import { Logger as NestLogger } from '@nestjs/common';
import pino from 'pino';
import { Writable } from 'node:stream';
import { PinoNestLogger } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const nest = new PinoNestLogger(pino({ base: null, timestamp: false }, stream));
  return { lines, nest };
}

describe('PinoNestLogger', () => {
  it("keeps a class logger's fields, message and context apart", () => {
    const { lines, nest } = capture();
    NestLogger.overrideLogger(nest);
    const logger = new NestLogger('OidcFlow');
    logger.warn({ provider: 'acme', code: 'E' }, 'OpenID sign-in refused');
    logger.log({ msg: 'Partitions maintained', created: 2 });
    logger.error({ userId: 'u1' }, 'A secret does not decrypt');
    logger.log('Ready');
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'OpenID sign-in refused',
        context: 'OidcFlow',
        provider: 'acme',
        code: 'E',
      }),
      expect.objectContaining({ msg: 'Partitions maintained', context: 'OidcFlow', created: 2 }),
      expect.objectContaining({
        msg: 'A secret does not decrypt',
        context: 'OidcFlow',
        userId: 'u1',
      }),
      expect.objectContaining({ msg: 'Ready', context: 'OidcFlow' }),
    ]);
  });

  it('reads a stack passed to error', () => {
    const { lines, nest } = capture();
    nest.error('Failed', 'Error: boom\n    at somewhere (file.js:1:1)', 'Boot');
    expect(lines[0]).toMatchObject({
      msg: 'Failed',
      context: 'Boot',
      stack: expect.stringMatching(/boom/),
    });
  });
});
