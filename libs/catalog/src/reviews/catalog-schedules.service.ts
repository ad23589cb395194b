import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { CatalogConfig } from '../catalog.config';
import { CATALOG_MAINTENANCE_QUEUE, PULL_REVIEWS_JOB, SWEEP_PENDING_JOB } from '../constants';

/** Job schedulers are idempotent upserts, so every worker instance may declare them. */
@Injectable()
export class CatalogSchedules implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(CATALOG_MAINTENANCE_QUEUE) private readonly queue: Queue,
    private readonly cfg: CatalogConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const opts = { removeOnComplete: 50, removeOnFail: 100 };
    await this.queue.upsertJobScheduler(PULL_REVIEWS_JOB, { every: this.cfg.CATALOG_REVIEWS_EVERY_MS }, { name: PULL_REVIEWS_JOB, opts });
    await this.queue.upsertJobScheduler(SWEEP_PENDING_JOB, { every: 60_000 }, { name: SWEEP_PENDING_JOB, opts });
  }
}
