import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Channel } from '@hub/core';
import { Job, UnrecoverableError } from 'bullmq';
import { INVENTORY_MAINTENANCE_QUEUE, RECONCILE_JOB, SYNC_JOB, syncQueueName } from '../constants';
import { InventoryConfig } from '../inventory.config';
import { Reconciler } from './reconciler.service';
import { SYNC_BACKOFF, syncBackoffDelay } from './sync-backoff';
import { SyncDelivery } from './sync-delivery.service';
import type { SyncJobData } from './sync-enqueuer.service';

const backoffCfg = { base: 250, max: 30_000 };

const workerOptions = {
  concurrency: 16,
  // Pushes take well under a second; a worker that died mid-push (SIGKILL, OOM) should have its
  // jobs picked up again within seconds, not after BullMQ's default 30 s lock.
  lockDuration: 10_000,
  stalledInterval: 5_000,
  settings: {
    // Reads the thrown error so a partner's Retry-After wins over our own schedule.
    backoffStrategy: (attemptsMade: number, type?: string, err?: Error) =>
      type === SYNC_BACKOFF ? syncBackoffDelay(attemptsMade, err, backoffCfg.base, backoffCfg.max) : 1000,
  },
};

/** Pushes for one channel. Subclassed once per channel so each has its own queue and workers. */
@Injectable()
abstract class ChannelSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  protected abstract readonly channel: Channel;
  private readonly logger = new Logger('InventorySyncProcessor');

  constructor(
    private readonly delivery: SyncDelivery,
    private readonly cfg: InventoryConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    backoffCfg.base = this.cfg.INVENTORY_BACKOFF_BASE_MS;
    backoffCfg.max = this.cfg.INVENTORY_BACKOFF_MAX_MS;
    let lastWarn = 0;
    this.worker.on('error', (err) => {
      if (Date.now() - lastWarn < 10_000) return;
      lastWarn = Date.now();
      this.logger.warn({ channel: this.channel, err: err.message }, 'sync worker cannot reach Redis');
    });
    this.worker.concurrency = this.channel === 'amazon' ? this.cfg.INVENTORY_AMAZON_SYNC_CONCURRENCY : this.cfg.INVENTORY_SYNC_CONCURRENCY;
  }

  async process(job: Job<SyncJobData>): Promise<unknown> {
    if (job.name !== SYNC_JOB) {
      this.logger.warn({ job: job.name }, 'unknown inventory sync job');
      return null;
    }
    const { sku } = job.data;
    try {
      return { outcome: await this.delivery.syncOne(this.channel, sku) };
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const verdict = await this.delivery.handleFailure(this.channel, sku, err, last);
      if (verdict === 'held') return { outcome: 'paused' };
      if (verdict === 'permanent') throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  }
}

@Processor(syncQueueName('amazon'), workerOptions)
export class AmazonSyncProcessor extends ChannelSyncProcessor {
  protected readonly channel = 'amazon' as const;
}

@Processor(syncQueueName('nykaa'), workerOptions)
export class NykaaSyncProcessor extends ChannelSyncProcessor {
  protected readonly channel = 'nykaa' as const;
}

@Processor(syncQueueName('storefront'), workerOptions)
export class StorefrontSyncProcessor extends ChannelSyncProcessor {
  protected readonly channel = 'storefront' as const;
}

export const CHANNEL_SYNC_PROCESSORS = [AmazonSyncProcessor, NykaaSyncProcessor, StorefrontSyncProcessor];

/** Reconciliation runs on its own queue: a long read-back never delays a push. */
@Processor(INVENTORY_MAINTENANCE_QUEUE)
@Injectable()
export class InventoryMaintenanceProcessor extends WorkerHost {
  constructor(private readonly reconciler: Reconciler) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name === RECONCILE_JOB) return this.reconciler.reconcileAll();
    return null;
  }
}
