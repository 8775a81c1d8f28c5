import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's lines through the application's logger. Failed queries are not logged here:
 * they surface as exceptions (logged by the exception filter when they are faults), and
 * their parameters may hold password hashes or tokens. Slow queries are logged without
 * parameters.
 */
export class DatabaseLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(): void {}

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ msg: 'Slow query', ms: time, query: query.slice(0, 500) });
  }

  logSchemaBuild(message: string): void {
    this.logger.log(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = String(message);
    if (level === 'warn') this.logger.warn(text);
    else this.logger.debug(text);
  }
}
