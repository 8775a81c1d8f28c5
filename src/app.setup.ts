import {
  BadRequestException,
  type INestApplication,
  MethodNotAllowedException,
  RequestMethod,
  type Type,
  UnsupportedMediaTypeException,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { AppModule } from './app.module.js';
import { unacceptableJson } from './common/http/json-body.js';
import { createOpenApiDocument } from './common/openapi/openapi-document.js';
import { securityHeaders } from './common/http/security-headers.js';
import { requestIdFor, type RequestWithUser } from './common/http/request-context.js';
import { ShutdownService } from './common/lifecycle/shutdown.service.js';
import { MetricsService } from './modules/metrics/metrics.service.js';
import { serveAdminConsole } from './modules/admin-console/admin-console.js';
import { createLoggers, PinoNestLogger, type Loggers } from './common/logging/logger.js';
import { requestLog } from './common/logging/request-log.js';
import type { AppConfig } from './config/app-config.js';
import type { Clock } from './common/time/clock.js';

export const API_PREFIX = 'api/v1';

/** Routes that answer without the API prefix, rate limits or per-request log lines. */
const UNPREFIXED = ['health', 'health/live', 'health/ready', 'metrics'];

/** Bodies are JSON; file content is refused outright (zero storage). */
const FILE_CONTENT = /^\s*(multipart\/form-data|application\/octet-stream)\b/i;
const JSON_CONTENT = /^\s*application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

export interface CreateAppOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
  /** Extra modules mounted beside the application's own (tests' probe routes). */
  imports?: Type[];
  /** The time the services go by (tests move a manual clock); the wall clock by default. */
  clock?: Clock;
}

/** The methods routes are registered with; OPTIONS (CORS preflight) matches every path. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * For a request no route matched: a 405 with `Allow` when the path is known under other
 * methods, nothing (so a 404) when the path itself is unknown. Asks Fastify's own router, so
 * parameters and routes outside Nest (/health/live, /docs) match exactly as they are served.
 */
function methodNotAllowed(
  fastify: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
): MethodNotAllowedException | undefined {
  const path = request.url.split('?', 1)[0];
  const allowed = METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null);
  if (!allowed.some((method) => method !== 'OPTIONS')) return undefined;
  reply.header('allow', allowed.join(', '));
  return new MethodNotAllowedException(
    // The path only: a query string may carry what should not be echoed.
    `Cannot ${request.method} ${path}: allowed are ${allowed.join(', ')}`,
  );
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

/** A hop count becomes Fastify's own rule for it: trust the nearest N addresses. */
function trustProxySetting(
  value: AppConfig['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

/** Business routes under /api/v1; health and metrics at the root. */
export function applyRoutePrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: UNPREFIXED.map((path) => ({ path, method: RequestMethod.ALL })),
  });
}

export function createFastifyAdapter(config: AppConfig, logger: Logger): FastifyAdapter {
  return new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    bodyLimit: config.bodyLimit,
    trustProxy: trustProxySetting(config.trustProxy),
    requestIdHeader: false,
    genReqId: requestIdFor,
    childLoggerFactory: requestLog,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
}

/**
 * Everything that shapes a request, applied identically by main.ts and by every e2e test:
 * security headers, CORS, content-type rules, request ids and logs, validation, the API
 * prefix and OpenAPI. Errors are shaped by the global AllExceptionsFilter (AppModule).
 */
export async function configureApp(
  app: NestFastifyApplication,
  config: AppConfig,
  { logger, requestLogger }: Loggers,
): Promise<void> {
  app.useLogger(new PinoNestLogger(logger));
  app.flushLogs();
  const fastify = app.getHttpAdapter().getInstance();

  // Callback-style hooks: they run on every request, and an async hook costs a promise each.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders(request.url.startsWith('/docs')));
    reply.header('x-request-id', request.id);
    const type = request.headers['content-type'];
    if (type !== undefined && FILE_CONTENT.test(type)) {
      done(
        new UnsupportedMediaTypeException('File content is never accepted: send application/json'),
      );
    } else if (hasBody(request) && (type === undefined || !JSON_CONTENT.test(type))) {
      done(new UnsupportedMediaTypeException('Request bodies must be application/json'));
    } else {
      // A known path asked with a method it does not serve is 405, not 404.
      done(request.is404 ? methodNotAllowed(fastify, request, reply) : undefined);
    }
  });

  // Before validation: a body nested thousands of levels deep would overflow
  // class-transformer's stack, and text PostgreSQL cannot store must never reach a write.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const reason = request.body === undefined ? undefined : unacceptableJson(request.body);
    done(reason === undefined ? undefined : new BadRequestException(reason));
  });

  const shutdown = app.get(ShutdownService);
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    // API answers hold personal data and tokens: nothing is cached unless a route says so.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // While draining, every response tells its client to reconnect (elsewhere).
    if (shutdown.isShuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== '/metrics') {
      metrics.recordRequest(
        request.method,
        route ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    }
    if (!route?.startsWith('/health') && route !== '/metrics') {
      const user = (request as unknown as RequestWithUser).user;
      const line = {
        requestId: request.id,
        method: request.method,
        route: route ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        ...(user ? { userId: user.id } : {}),
      };
      if (reply.statusCode >= 500) requestLogger.error(line, 'request');
      else requestLogger.info(line, 'request');
    }
    done();
  });

  // Exact origins only: 'null' and '*' can never be configured (see config.schema.ts).
  const allowedOrigins = new Set(config.allowedOrigins);
  app.enableCors({
    origin: (origin, callback) =>
      callback(null, origin !== undefined && allowedOrigins.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Stripe-Signature'],
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
    maxAge: 600,
  });

  // Liveness touches no dependency and needs no guard, pipe or controller: Fastify answers it
  // directly (security headers, request id and metrics still apply through the hooks above).
  const alive = JSON.stringify({ status: 'ok' });
  fastify.get('/health/live', (_request, reply) => {
    void reply.type('application/json; charset=utf-8').send(alive);
  });
  // The admin console's static files, with headers of their own (no data, no other route).
  serveAdminConsole(fastify, logger);

  applyRoutePrefix(app);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );

  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    useGlobalPrefix: false,
  });
}

/** Builds the application (not yet listening) exactly as production runs it. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const loggers = createLoggers(config, options.logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options.imports, options.clock),
    createFastifyAdapter(config, loggers.logger),
    { rawBody: true, bufferLogs: true, abortOnError: false },
  );
  await configureApp(app, config, loggers);
  return app;
}
