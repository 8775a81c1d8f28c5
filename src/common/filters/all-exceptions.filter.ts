import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ServiceUnavailableWithRetryException } from '../errors/service-unavailable.exception.js';
import { TooManyRequestsException } from '../errors/too-many-requests.exception.js';
import { isDatabaseUnavailable, isInvalidData } from '../../database/database-errors.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId: string;
}

function isHealthCheckAnswer(exception: unknown): boolean {
  return exception instanceof HttpException && isHealthCheckResult(exception.getResponse());
}

function isHealthCheckResult(response: unknown): response is { status: string; details: object } {
  return (
    typeof response === 'object' &&
    response !== null &&
    'details' in response &&
    'status' in response
  );
}

function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/**
 * The one place errors become responses: API.md's body with the request id, the real
 * status for client mistakes, 503 when the database is unreachable, and a bare 500 for
 * everything else (logged with its stack; nothing internal reaches the client).
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const { status, body } = this.toResponse(exception, request.id);

    if (isHealthCheckAnswer(exception)) {
      // Readiness answering 503 is its job, not a failure: HealthService logs the changes.
    } else if (isDatabaseUnavailable(exception)) {
      const reason = (exception as { message?: unknown }).message;
      this.logger.warn({ requestId: request.id, reason, msg: 'Database unavailable' });
    } else if (status >= 500) {
      this.logger.error({ requestId: request.id, err: exception, msg: 'Request failed' });
    }
    if (
      exception instanceof TooManyRequestsException ||
      exception instanceof ServiceUnavailableWithRetryException
    ) {
      reply.header('retry-after', String(exception.retryAfterSeconds));
    }
    if (status === HttpStatus.SERVICE_UNAVAILABLE && !reply.hasHeader('retry-after')) {
      reply.header('retry-after', '5');
    }
    void reply
      .status(status)
      .header('cache-control', 'no-store')
      // A route may have set another type (e.g. text/plain) before it failed.
      .header('content-type', 'application/json; charset=utf-8')
      .send(body);
  }

  private toResponse(
    exception: unknown,
    requestId: string,
  ): { status: number; body: ErrorBody | object } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isHealthCheckResult(response)) {
        // Terminus's readiness report keeps its own shape: load balancers and people read
        // the per-check detail.
        return { status, body: { ...response, requestId } };
      }
      let message: string | string[] = exception.message;
      let error = statusText(status);
      if (typeof response === 'string') {
        message = response;
      } else if (typeof response === 'object' && response !== null) {
        const fields = response as { message?: unknown; error?: unknown };
        if (typeof fields.message === 'string' || Array.isArray(fields.message))
          message = fields.message as string | string[];
        if (typeof fields.error === 'string') error = fields.error;
      }
      return { status, body: { statusCode: status, error, message, requestId } };
    }
    if (isInvalidData(exception)) {
      const status = HttpStatus.BAD_REQUEST;
      return {
        status,
        body: {
          statusCode: status,
          error: statusText(status),
          message: 'The request contains a value that cannot be stored',
          requestId,
        },
      };
    }
    if (isDatabaseUnavailable(exception)) {
      const status = HttpStatus.SERVICE_UNAVAILABLE;
      return {
        status,
        body: {
          statusCode: status,
          error: statusText(status),
          message: 'Service temporarily unavailable',
          requestId,
        },
      };
    }
    const status = HttpStatus.INTERNAL_SERVER_ERROR;
    return {
      status,
      body: {
        statusCode: status,
        error: statusText(status),
        message: 'Internal server error',
        requestId,
      },
    };
  }
}
