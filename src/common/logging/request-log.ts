import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino';

type Line = Parameters<LogFn>;

/**
 * Fastify's logger for one request (`request.log`), made on its first use. Fastify makes one
 * for every request, and pino's child serialises its bindings through the redaction pass each
 * time: a few per cent of a trivial request, although a request that goes well writes nothing
 * through it (its log line comes from the onResponse hook).
 */
class RequestLog implements FastifyBaseLogger {
  private made?: FastifyBaseLogger;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  fatal(...line: Line): void {
    this.logger.fatal(...line);
  }

  error(...line: Line): void {
    this.logger.error(...line);
  }

  warn(...line: Line): void {
    this.logger.warn(...line);
  }

  info(...line: Line): void {
    this.logger.info(...line);
  }

  debug(...line: Line): void {
    this.logger.debug(...line);
  }

  trace(...line: Line): void {
    this.logger.trace(...line);
  }

  silent(...line: Line): void {
    this.logger.silent(...line);
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, made when first written to. */
export function requestLog(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new RequestLog(logger, bindings, options);
}
