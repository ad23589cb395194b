import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ANALYTICS_QUEUE, PURGE_AUDIT_JOB, PURGE_USAGE_JOB } from '../constants';

/** Hourly: a day's worth of expired rows is 24 small batches, never one long delete. */
export const PURGE_EVERY_MS = 60 * 60 * 1000;

/** Job schedulers are idempotent upserts: every worker instance may declare them. */
@Injectable()
export class RetentionSchedules implements OnApplicationBootstrap {
  constructor(@InjectQueue(ANALYTICS_QUEUE) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const name of [PURGE_USAGE_JOB, PURGE_AUDIT_JOB]) {
      await this.queue.upsertJobScheduler(name, { every: PURGE_EVERY_MS }, { name, opts: { removeOnComplete: true, removeOnFail: 100 } });
    }
  }
}
