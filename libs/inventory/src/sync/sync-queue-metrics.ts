import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CHANNELS, MetricsService } from '@hub/core';
import type { DataSource } from 'typeorm';
import { SyncEnqueuer } from './sync-enqueuer.service';

const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;

/**
 * Backlog gauges read at scrape time: sync jobs per channel queue and state, and outbox rows not
 * yet relayed. A depth that keeps growing is the first sign a channel cannot keep up (Amazon's
 * 5 calls/s) or that Redis was unreachable; docs/inventory.md says what to do about each.
 */
@Injectable()
export class SyncQueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly enqueuer: SyncEnqueuer,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  onModuleInit(): void {
    const enqueuer = this.enqueuer;
    const ds = this.ds;
    this.metrics.gauge('inventory_sync_queue_jobs', 'Stock sync jobs per channel queue and state, read at scrape time', ['channel', 'state'], async function () {
      const counts = await Promise.all(CHANNELS.map((c) => enqueuer.queue(c).getJobCounts(...STATES)));
      CHANNELS.forEach((channel, i) => {
        for (const state of STATES) this.set({ channel, state }, counts[i][state] ?? 0);
      });
    });
    this.metrics.gauge('inventory_outbox_pending', 'Stock changes committed but not yet handed to the sync queues', [], async function () {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inventory_outbox`);
      this.set(n);
    });
  }
}
