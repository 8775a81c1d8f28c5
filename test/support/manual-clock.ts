import { Clock } from '../../src/common/time/clock.js';

/** A clock that stands still until a test moves it. */
export class ManualClock extends Clock {
  private offsetMs = 0;

  constructor(private readonly frozenAt?: number) {
    super();
  }

  override nowMs(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
