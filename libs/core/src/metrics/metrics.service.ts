import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration.histogram';

/**
 * One Prometheus registry per process. Libs create their metrics through `counter`, `gauge`
 * and `histogram` so names are prefixed consistently and registering twice is harmless.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  /** Observed on every request, so not a prom-client Histogram: see RequestDurationHistogram. */
  readonly httpDuration = new RequestDurationHistogram('hub_http_request_duration_seconds', 'HTTP request duration by route and status', [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ]);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hub_' });
    this.registry.registerMetric(this.httpDuration as unknown as Metric);
  }

  counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    const full = `hub_${name}`;
    return (this.registry.getSingleMetric(full) as Counter<L>) ?? new Counter({ name: full, help, labelNames, registers: [this.registry] });
  }

  /** `collect` runs at every scrape (for values read from elsewhere: queue depths, table counts). */
  gauge<L extends string>(name: string, help: string, labelNames: L[] = [], collect?: (this: Gauge<L>) => Promise<void> | void): Gauge<L> {
    const full = `hub_${name}`;
    return (this.registry.getSingleMetric(full) as Gauge<L>) ?? new Gauge({ name: full, help, labelNames, registers: [this.registry], collect });
  }

  histogram<L extends string>(name: string, help: string, labelNames: L[] = [], buckets?: number[]): Histogram<L> {
    const full = `hub_${name}`;
    return (
      (this.registry.getSingleMetric(full) as Histogram<L>) ??
      new Histogram({ name: full, help, labelNames, buckets, registers: [this.registry] })
    );
  }
}
