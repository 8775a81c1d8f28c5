import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from './error-body.dto.js';

/** 429 and 503 always say when to come back (AllExceptionsFilter sets the header). */
export function retryAfterHeader(status: number) {
  if (status !== 429 && status !== 503) return undefined;
  return {
    'Retry-After': {
      description: 'Seconds to wait before retrying',
      schema: { type: 'integer' as const, minimum: 0 },
    },
  };
}

/** A documented error answer, always with the shared error body. */
export function ApiErrorResponse(status: number, description: string) {
  const headers = retryAfterHeader(status);
  return applyDecorators(
    ApiResponse({ status, description, type: ErrorBodyDto, ...(headers ? { headers } : {}) }),
  );
}
