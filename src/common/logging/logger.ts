import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../../config/app-config.js';

/** Paths that are never written to a log, at the top level or one object deep. */
const REDACTED = [
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
];

/**
 * pino's error serializer copies every field of an error; a failed query carries its SQL
 * parameters (password hashes, tokens, emails), which never reach a log.
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  delete serialized.parameters;
  delete serialized.query;
  delete serialized.driverError;
  return serialized;
}

export interface Loggers {
  /** Everything but request lines: redacted, since its objects come from anywhere. */
  logger: Logger;
  /**
   * The one-line-per-request log: its fields are fixed (id, method, route pattern, status,
   * latency, user id) and never hold a secret, so it skips the redaction pass, which
   * otherwise costs several per cent of a trivial request.
   */
  requestLogger: Logger;
}

export function createLoggers(
  config: AppConfig,
  destination: DestinationStream = pino.destination(1),
): Loggers {
  const options = {
    serializers: { err: serializeError },
    level: config.logLevel,
    base: { service: 'insightsheet-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const redact = {
    paths: [...REDACTED, ...REDACTED.map((path) => `*.${path}`)],
    censor: '[redacted]',
  };
  return {
    logger: pino({ ...options, redact }, destination),
    requestLogger: pino(options, destination),
  };
}

export function createLogger(config: AppConfig, destination?: DestinationStream): Logger {
  return createLoggers(config, destination).logger;
}

/**
 * Nest's logger interface over the same pino instance, so framework lines are JSON too. A
 * `new Logger(Context)` passes its context last; before it may come the line's message, when
 * the first argument is an object of fields (`logger.warn({ userId }, 'Not found')`), or, for
 * an error, a stack.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    params: unknown[],
  ): void {
    const texts = params.filter((param): param is string => typeof param === 'string');
    const context = texts.length > 0 ? texts[texts.length - 1] : undefined;
    const [before] = texts.slice(0, -1);
    const stack = before !== undefined && /\n\s+at /.test(before) ? before : undefined;
    const text = stack === undefined ? before : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, text ?? message.message);
    } else if (typeof message === 'object' && message !== null) {
      const fields = { context, ...message, ...(stack ? { stack } : {}) };
      if (text === undefined) this.logger[level](fields);
      else this.logger[level](fields, text);
    } else {
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
