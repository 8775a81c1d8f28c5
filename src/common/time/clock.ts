import { Global, Injectable, Module, type DynamicModule } from '@nestjs/common';

/**
 * The time the services go by. Rules that depend on time (grace windows, expiries, lock
 * periods, the end of a grant) read it here, so a test can move it instead of waiting.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now();
  }
}

/** Provides the wall clock, or the one given (a test's manual clock). */
@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock = new Clock()): DynamicModule {
    return {
      module: ClockModule,
      providers: [{ provide: Clock, useValue: clock }],
      exports: [Clock],
    };
  }
}
