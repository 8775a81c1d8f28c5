import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of this instance: process and event-loop metrics (prom-client's
 * defaults), requests by route and status with their latency, and gauges that modules
 * register for their own state (database pool, activity buffer).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'stripe_webhook_events_total',
    help: 'Stripe webhook deliveries by outcome (applied, duplicate, recorded, rejected, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly jobAttempts = new Counter({
    name: 'mail_queue_attempts_total',
    help:
      'Attempts at queued jobs (mail.send is the delivery of one mail) by queue and outcome: ' +
      'completed, retry (failed, to be tried again), failed (failed, no tries left)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** A gauge whose value is read at scrape time. */
  gauge(
    name: string,
    help: string,
    read: () => Record<string, number> | number,
    labelNames: string[] = [],
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        const value = read();
        if (typeof value === 'number') this.set(value);
        else
          for (const [label, count] of Object.entries(value))
            this.set({ [labelNames[0]]: label }, count);
      },
    });
  }

  /**
   * A gauge with several labels whose values are read at scrape time, asynchronously (a
   * query). When the read fails the gauge reports nothing for that scrape.
   */
  gaugeFromQuery(
    name: string,
    help: string,
    read: () => Promise<{ labels: Record<string, string>; value: number }[]>,
    labelNames: string[],
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        const values = await read().catch(() => []);
        for (const { labels, value } of values) this.set(labels, value);
      },
    });
  }

  /**
   * The series of each method, route and status, looked up once: prom-client hashes a label
   * object on every call otherwise. Bounded by the routes, methods and statuses there are
   * (unknown paths share the route "unmatched").
   */
  private readonly series = new Map<
    string,
    { count: Counter.Internal; latency: Histogram.Internal<'method' | 'route' | 'status_class'> }
  >();

  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        count: this.requests.labels(method, route, String(status)),
        latency: this.latency.labels(method, route, `${Math.floor(status / 100)}xx`),
      };
      this.series.set(key, series);
    }
    series.count.inc();
    series.latency.observe(seconds);
  }
}
