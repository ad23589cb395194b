import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AlertsConfig } from './alerts.config';
import { ALERTS_EVALUATE_JOB, ALERTS_QUEUE } from './constants';

/** Worker side: the repeatable evaluation (an idempotent upsert, safe on every instance). */
@Injectable()
export class AlertsSchedules implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(ALERTS_QUEUE) private readonly queue: Queue,
    private readonly cfg: AlertsConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      ALERTS_EVALUATE_JOB,
      { every: this.cfg.ALERTS_EVALUATE_EVERY_MS },
      { name: ALERTS_EVALUATE_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}
