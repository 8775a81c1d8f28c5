import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { RequestWithUser } from '../common/http/request-context.js';

/**
 * Who a replica-eligible read is for, taken from the request rather than passed down from the
 * controller: ReadRouter asks it whether the reader wrote recently. Outside a route marked
 * @ReplicaReads() (a background job, a test) there is no reader, and a usable replica is used.
 */
@Injectable()
export class ReaderContext {
  private readonly storage = new AsyncLocalStorage<{ reader: string | undefined }>();

  /** Runs `work`, and whatever it starts, on behalf of `reader`. */
  run<T>(reader: string | undefined, work: () => T): T {
    return this.storage.run({ reader }, work);
  }

  get reader(): string | undefined {
    return this.storage.getStore()?.reader;
  }
}

/**
 * Enters the reader context for one request. An interceptor because interceptors run after
 * the guards: the caller is known by then (AuthenticationGuard sets request.user).
 */
@Injectable()
export class ReaderContextInterceptor implements NestInterceptor {
  constructor(private readonly readers: ReaderContext) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithUser>();
    // Nest binds the handler to the async context handle() is called in: this one.
    return this.readers.run(request.user?.id, () => next.handle());
  }
}

/**
 * Marks a route whose reads may come from a replica: its caller reads from the primary after
 * a write of theirs. Only these routes pay for the context.
 */
export const ReplicaReads = () => UseInterceptors(ReaderContextInterceptor);
