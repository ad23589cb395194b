import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AlertsConfig } from './alerts.config';
import { ALERTS_EVALUATE_JOB, ALERTS_QUEUE, ALERTS_REDELIVER_JOB } from './constants';

/** Worker side: the repeatable evaluation and webhook redelivery (idempotent upserts, safe on every instance). */
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
    await this.queue.upsertJobScheduler(
      ALERTS_REDELIVER_JOB,
      { every: this.cfg.ALERTS_REDELIVER_EVERY_MS },
      { name: ALERTS_REDELIVER_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}
