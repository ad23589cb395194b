import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { INVENTORY_SYNC_QUEUE, RECONCILE_JOB, SYNC_JOB } from '../constants';
import { InventoryConfig } from '../inventory.config';
import { Reconciler } from './reconciler.service';
import { SYNC_BACKOFF, syncBackoffDelay } from './sync-backoff';
import { SyncDelivery } from './sync-delivery.service';
import type { SyncJobData } from './sync-enqueuer.service';

const backoffCfg = { base: 250, max: 30_000 };

@Processor(INVENTORY_SYNC_QUEUE, {
  concurrency: 32,
  settings: {
    // Reads the thrown error so a partner's Retry-After wins over our own schedule.
    backoffStrategy: (attemptsMade: number, type?: string, err?: Error) =>
      type === SYNC_BACKOFF ? syncBackoffDelay(attemptsMade, err, backoffCfg.base, backoffCfg.max) : 1000,
  },
})
export class InventorySyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('InventorySyncProcessor');

  constructor(
    private readonly delivery: SyncDelivery,
    private readonly reconciler: Reconciler,
    private readonly cfg: InventoryConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    backoffCfg.base = this.cfg.INVENTORY_BACKOFF_BASE_MS;
    backoffCfg.max = this.cfg.INVENTORY_BACKOFF_MAX_MS;
    this.worker.concurrency = this.cfg.INVENTORY_SYNC_CONCURRENCY;
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case SYNC_JOB:
        return this.sync(job as Job<SyncJobData>);
      case RECONCILE_JOB:
        return this.reconciler.reconcileAll();
      default:
        this.logger.warn({ job: job.name }, 'unknown inventory job');
        return null;
    }
  }

  private async sync(job: Job<SyncJobData>): Promise<unknown> {
    const { channel, sku } = job.data;
    try {
      return { outcome: await this.delivery.syncOne(channel, sku) };
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const verdict = await this.delivery.handleFailure(channel, sku, err, last);
      if (verdict === 'held') return { outcome: 'paused' };
      if (verdict === 'permanent') throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  }
}
