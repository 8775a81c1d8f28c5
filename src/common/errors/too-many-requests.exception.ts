import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 that carries its Retry-After (seconds); the exception filter sets the header. */
export class TooManyRequestsException extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many requests, please retry later',
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}
