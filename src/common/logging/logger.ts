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

/** Nest's logger interface over the same pino instance, so framework lines are JSON too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    const stack = context === undefined ? undefined : stackOrContext;
    this.write('error', message, context ?? stackOrContext, stack);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    context?: string,
    stack?: string,
  ): void {
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message, ...(stack ? { stack } : {}) });
    } else {
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
