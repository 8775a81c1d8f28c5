import { Global, Module, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ReplicaHealth } from '../../database/replica-health.service.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicas: ReplicaHealth,
  ) {}

  onModuleInit(): void {
    const pool = () => (this.dataSource.driver as unknown as { master?: Pool }).master;
    this.metrics.gauge(
      'db_pool_connections',
      'Database pool connections by state',
      (): Record<string, number> => {
        const current = pool();
        if (!current) return {};
        return {
          in_use: current.totalCount - current.idleCount,
          idle: current.idleCount,
          waiting: current.waitingCount,
        };
      },
      ['state'],
    );
    if (!this.replicas.enabled) return;
    const replicas = () => this.replicas.status();
    this.metrics.gauge(
      'db_replica_usable',
      'Whether a read replica takes reads (1) or is skipped as down or lagging (0)',
      () => Object.fromEntries(replicas().map(({ name, state }) => [name, state === 'up' ? 1 : 0])),
      ['replica'],
    );
    this.metrics.gauge(
      'db_replica_lag_seconds',
      'Time a read replica is behind the primary, as last measured',
      () =>
        Object.fromEntries(
          replicas()
            .filter(({ lagMs }) => lagMs !== null)
            .map(({ name, lagMs }) => [name, (lagMs ?? 0) / 1000]),
        ),
      ['replica'],
    );
  }
}
