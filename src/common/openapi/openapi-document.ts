import { SetMetadata, type INestApplication, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC, ROLES } from '../auth/auth.decorators.js';
import { retryAfterHeader } from './api-error-response.decorator.js';
import { ErrorBodyDto } from './error-body.dto.js';

type PathItemObject = OpenAPIObject['paths'][string];
type OperationObject = NonNullable<PathItemObject['get']>;
type ResponseObject = Extract<OperationObject['responses'][string], { description: string }>;
type ParameterObject = { in?: string };

/** What the guards and hooks read of a route, found from the same metadata they read. */
interface RouteFacts {
  isPublic: boolean;
  hasRoles: boolean;
  rateLimited: boolean;
}

const ERROR_SCHEMA = { $ref: `#/components/schemas/${ErrorBodyDto.name}` };
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
// @nestjs/throttler's own key for @SkipThrottle() on the 'default' throttler.
const THROTTLER_SKIP_DEFAULT = 'THROTTLER:SKIPdefault';

/** The answers every route can give for reasons of its kind, not of its own logic. */
const STANDARD: Record<number, ResponseObject> = {
  400: {
    description:
      'The request breaks a rule: invalid JSON, an unknown or invalid field, or a parameter out of its bounds',
  },
  401: { description: 'No valid access token (missing, expired or revoked)' },
  403: {
    description:
      'The caller lacks the role this route needs; or, for an admin with REQUIRE_ADMIN_MFA on, error "mfa_required": the session did not use a second factor or a passkey',
  },
  413: { description: 'The body is larger than the limit (BODY_LIMIT, 100 KB by default)' },
  415: {
    description:
      'The body is not application/json (file content, multipart/form-data and octet-stream are never accepted)',
  },
  429: {
    description: 'Too many requests from this address or user; retry after Retry-After seconds',
  },
  503: {
    description:
      'Temporarily unavailable (the database cannot be reached, or the instance is shutting down); retry after Retry-After seconds',
  },
};

function errorResponse(status: number): ResponseObject {
  const headers = retryAfterHeader(status);
  return {
    ...STANDARD[status],
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ERROR_SCHEMA } },
  };
}

const OPERATION_GROUP = Symbol('operation-group');

/**
 * Names a controller's operations as if they were another's (`AdminUsers_update`): a route
 * that moves to the module owning its logic keeps its name in generated clients.
 */
export const ApiOperationGroup = (group: string): ClassDecorator =>
  SetMetadata(OPERATION_GROUP, group);

/** Controller names to the group their operations are named by, where one is set. */
const operationGroups = new Map<string, string>();

/** `Auth_login`: becomes `authLogin` in generated clients. */
function operationId(controller: string, method: string): string {
  const group = operationGroups.get(controller) ?? controller.replace(/Controller$/, '');
  return `${group}_${method}`;
}

function metadata<T>(key: string | symbol, handler: object, controller: object): T | undefined {
  return Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
}

/** Route facts by operation id. */
function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  const scanner = new MetadataScanner();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const group = Reflect.getMetadata(OPERATION_GROUP, controller) as string | undefined;
      if (group) operationGroups.set(controller.name, group);
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = controller.prototype[name] as object;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        facts.set(operationId(controller.name, name), {
          isPublic: metadata<boolean>(IS_PUBLIC, handler, controller) === true,
          hasRoles: (metadata<string[]>(ROLES, handler, controller)?.length ?? 0) > 0,
          rateLimited: metadata<boolean>(THROTTLER_SKIP_DEFAULT, handler, controller) !== true,
        });
      }
    }
  }
  return facts;
}

/**
 * Adds what every operation answers because of what it is (bearer or public, admin, takes a
 * body or parameters, rate limited), each with the shared error body. An answer a route
 * documents itself is kept as it is.
 */
function addStandardAnswers(document: OpenAPIObject, facts: Map<string, RouteFacts>): void {
  for (const [path, item] of Object.entries(document.paths) as [string, PathItemObject][]) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (!operation) continue;
      const route = facts.get(operation.operationId ?? '');
      if (!route) throw new Error(`No route found for ${method.toUpperCase()} ${path}`);
      const parameters = (operation.parameters ?? []) as ParameterObject[];
      const codes = [503];
      if (BODY_METHODS.has(method)) codes.push(400, 413, 415);
      if (parameters.some((parameter) => parameter.in === 'query' || parameter.in === 'path'))
        codes.push(400);
      if (route.rateLimited) codes.push(429);
      if (route.hasRoles) codes.push(403);
      if (route.isPublic) {
        // Explicitly no credentials, unless the route names its own scheme (metrics, webhook).
        operation.security ??= [];
      } else {
        operation.security = [{ bearer: [] }];
        codes.push(401);
      }
      for (const code of codes) operation.responses[code] ??= errorResponse(code);
      operation.responses = Object.fromEntries(
        Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
  }
}

/** Liveness is answered by Fastify itself (see app.setup.ts), so Nest cannot see it. */
function addLiveness(document: OpenAPIObject): void {
  document.paths['/health/live'] = {
    get: {
      tags: ['health'],
      operationId: 'Health_live',
      summary: 'The process can serve; touches no dependency',
      security: [],
      responses: {
        '200': {
          description: 'Alive',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['status'],
                properties: { status: { type: 'string', enum: ['ok'] } },
              },
            },
          },
        },
        '503': errorResponse(503),
      },
    },
  };
}

/** The OpenAPI document of the application as configured (served at /docs/openapi.json). */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  // Scanned first: it records the operation groups that operationId reads.
  const facts = routeFacts(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('InsightSheet API')
      .setDescription(
        'Accounts, subscriptions and activity for InsightSheet. Files never reach this API.',
      )
      .setVersion('1')
      .addServer('/', "The API's own origin")
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'The accessToken from register, login or refresh',
      })
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description: 'METRICS_TOKEN; /metrics asks for it only when it is configured',
        },
        'metricsToken',
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'Stripe-Signature',
          description:
            "Stripe's signature of the raw body with the endpoint's signing secret (STRIPE_WEBHOOK_SECRET)",
        },
        'stripeSignature',
      )
      .build(),
    {
      extraModels: [ErrorBodyDto],
      operationIdFactory: (controller, method) => operationId(controller, method),
    },
  );
  addStandardAnswers(document, facts);
  addLiveness(document);
  return document;
}
