import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ANALYTICS_QUEUE, PURGE_USAGE_JOB } from '../constants';

/** Hourly: a day's worth of expired hours is 24 small batches, never one long delete. */
export const PURGE_USAGE_EVERY_MS = 60 * 60 * 1000;

/** Job schedulers are idempotent upserts: every worker instance may declare them. */
@Injectable()
export class UsagePurgeSchedules implements OnApplicationBootstrap {
  constructor(@InjectQueue(ANALYTICS_QUEUE) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(PURGE_USAGE_JOB, { every: PURGE_USAGE_EVERY_MS }, { name: PURGE_USAGE_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
}
