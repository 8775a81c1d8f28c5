import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import type { RequestWithUser } from '../common/http/request-context.js';
import { RecentWrites } from './recent-writes.service.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Marks the caller of every successful authenticated write before the answer leaves, so that
 * the caller's next replica-eligible read comes from the primary. Installed only when read
 * replicas are configured.
 */
@Injectable()
export class RecentWriteInterceptor implements NestInterceptor {
  constructor(private readonly recentWrites: RecentWrites) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithUser & { method: string }>();
    const userId = request.user?.id;
    if (!userId || READS.has(request.method)) return next.handle();
    return next
      .handle()
      .pipe(mergeMap((body) => from(this.recentWrites.markWrite(userId).then(() => body))));
  }
}
