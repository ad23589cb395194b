import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AMAZON_NOTIFICATIONS_JOB, VAULT_QUEUE, VAULT_RECHECK_JOB } from './constants';
import { AmazonNotificationsPoller } from './rotation/amazon-notifications.poller';
import { VaultService } from './vault.service';

@Processor(VAULT_QUEUE)
export class VaultProcessor extends WorkerHost {
  private readonly logger = new Logger(VaultProcessor.name);

  constructor(
    private readonly vault: VaultService,
    private readonly amazon: AmazonNotificationsPoller,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case VAULT_RECHECK_JOB:
        return this.vault.recheck();
      case AMAZON_NOTIFICATIONS_JOB:
        return this.amazon.poll();
      default:
        this.logger.warn({ job: job.name }, 'unknown vault job');
        return null;
    }
  }
}
