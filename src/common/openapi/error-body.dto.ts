import { ApiProperty } from '@nestjs/swagger';
import type { ErrorBody } from '../filters/all-exceptions.filter.js';

/** The one error body of the API (AllExceptionsFilter): every documented error refers to it. */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode!: number;

  @ApiProperty({
    example: 'Bad Request',
    description:
      'The HTTP reason phrase, or a stable code a client can branch on (quota_exceeded, feature_not_in_plan)',
  })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What went wrong; one line per broken rule when validation fails',
  })
  message!: string | string[];

  @ApiProperty({ description: 'Also in the X-Request-Id header and in the logs' })
  requestId!: string;
}
