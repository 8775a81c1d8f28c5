import { BadRequestException, Injectable } from '@nestjs/common';
import type { ActivitySource } from './activity-writer.js';
import { AnalyticsRepository, type Overview } from './analytics.repository.js';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

const utcDay = (value: Date) => value.toISOString().slice(0, 10);

@Injectable()
export class AnalyticsService {
  constructor(private readonly analytics: AnalyticsRepository) {}

  /** From and to are UTC days, inclusive; active users are counted as of `to`. */
  async overview(
    from?: string,
    to?: string,
    source?: ActivitySource,
  ): Promise<Overview & { range: { from: string; to: string } }> {
    const last = to ? new Date(to) : new Date();
    const first = from ? new Date(from) : new Date(last.getTime() - 29 * DAY_MS);
    const range = { from: utcDay(first), to: utcDay(last) };
    const days = (Date.parse(range.to) - Date.parse(range.from)) / DAY_MS + 1;
    if (days < 1) throw new BadRequestException('from must not be after to');
    if (days > MAX_DAYS)
      throw new BadRequestException(`The range can span at most ${MAX_DAYS} days`);
    return { range, ...(await this.analytics.overview(range.from, range.to, source)) };
  }
}
