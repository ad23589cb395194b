import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AMAZON_NOTIFICATIONS_JOB, VAULT_QUEUE, VAULT_RECHECK_JOB } from './constants';
import { VaultConfig } from './vault.config';

/** Repeatable vault work; upserting a scheduler is idempotent, so every worker instance may do it. */
@Injectable()
export class VaultSchedules implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(VAULT_QUEUE) private readonly queue: Queue,
    private readonly cfg: VaultConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const opts = { removeOnComplete: true, removeOnFail: 100 };
    await this.queue.upsertJobScheduler(VAULT_RECHECK_JOB, { every: this.cfg.VAULT_RECHECK_EVERY_MS }, { name: VAULT_RECHECK_JOB, opts });
    await this.queue.upsertJobScheduler(AMAZON_NOTIFICATIONS_JOB, { every: this.cfg.AMAZON_NOTIFICATIONS_POLL_MS }, { name: AMAZON_NOTIFICATIONS_JOB, opts });
  }
}
