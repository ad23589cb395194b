import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HEARTBEAT_JOB, PURGE_IDEMPOTENCY_JOB, SYSTEM_QUEUE } from '@hub/core';
import type { Queue } from 'bullmq';

export const HEARTBEAT_EVERY_MS = Number(process.env.HEARTBEAT_EVERY_MS ?? 5000);

/** Job schedulers are idempotent upserts: every worker instance may declare them. */
@Injectable()
export class SystemSchedules implements OnApplicationBootstrap {
  constructor(@InjectQueue(SYSTEM_QUEUE) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      HEARTBEAT_JOB,
      { every: HEARTBEAT_EVERY_MS },
      { name: HEARTBEAT_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    await this.queue.upsertJobScheduler(
      PURGE_IDEMPOTENCY_JOB,
      { every: 60 * 60 * 1000 },
      { name: PURGE_IDEMPOTENCY_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    // Do not wait up to one interval for the first proof of life.
    await this.queue.add(HEARTBEAT_JOB, {}, { removeOnComplete: true, removeOnFail: 100 });
  }
}
