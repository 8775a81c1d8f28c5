import { HttpException, HttpStatus } from '@nestjs/common';

/** A 503 that carries its Retry-After (seconds); the exception filter sets the header. */
export class ServiceUnavailableWithRetryException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
