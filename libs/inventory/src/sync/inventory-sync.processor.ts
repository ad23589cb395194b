import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Channel } from '@hub/core';
import { Job, UnrecoverableError } from 'bullmq';
import { INVENTORY_MAINTENANCE_QUEUE, RECONCILE_JOB, SYNC_JOB, syncQueueName } from '../constants';
import { InventoryConfig } from '../inventory.config';
import { Reconciler } from './reconciler.service';
import { SYNC_BACKOFF, syncBackoffDelay } from './sync-backoff';
import { Batcher } from './sync-batcher';
import { SyncDelivery, SyncOutcome } from './sync-delivery.service';
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

type Verdict = 'held' | 'retry' | 'permanent';
type BatchAnswer = { outcome: SyncOutcome } | { error: unknown; verdict: Verdict };

/**
 * Pushes for one channel. Subclassed once per channel so each has its own queue and workers.
 * Jobs stay one per (channel, SKU); on a channel with a bulk endpoint the jobs that arrive within a
 * few milliseconds share one partner call (SyncDelivery.syncMany).
 */
@Injectable()
abstract class ChannelSyncProcessor extends WorkerHost implements OnApplicationBootstrap {
  protected abstract readonly channel: Channel;
  private readonly logger = new Logger('InventorySyncProcessor');
  private batcher: Batcher<{ sku: string; last: boolean }, BatchAnswer> | null = null;

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
    const adapter = this.delivery.adapter(this.channel);
    if (adapter?.updateQuantities && (adapter.maxQuantityBatch ?? 0) > 1) {
      this.batcher = new Batcher((items) => this.runBatch(items), adapter.maxQuantityBatch!, this.cfg.INVENTORY_SYNC_BATCH_WINDOW_MS);
      this.worker.concurrency = this.cfg.INVENTORY_SYNC_BATCH_CONCURRENCY;
    } else {
      this.worker.concurrency = this.channel === 'amazon' ? this.cfg.INVENTORY_AMAZON_SYNC_CONCURRENCY : this.cfg.INVENTORY_SYNC_CONCURRENCY;
    }
  }

  /** One bulk push; failures are judged once per distinct error (one credential report, one pause). */
  private async runBatch(items: { sku: string; last: boolean }[]): Promise<BatchAnswer[]> {
    const results = await this.delivery.syncMany(this.channel, items.map((i) => i.sku));
    const last = new Map(items.map((i) => [i.sku, i.last]));
    const failedBy = new Map<unknown, string[]>();
    for (const [sku, r] of results) if ('error' in r) failedBy.set(r.error, [...(failedBy.get(r.error) ?? []), sku]);
    const verdicts = new Map<unknown, Verdict>();
    for (const [err, skus] of failedBy) verdicts.set(err, await this.delivery.handleFailure(this.channel, skus, err, (sku) => last.get(sku) ?? true));
    return items.map((i) => {
      const r = results.get(i.sku)!;
      return 'error' in r ? { error: r.error, verdict: verdicts.get(r.error)! } : r;
    });
  }

  async process(job: Job<SyncJobData>): Promise<unknown> {
    if (job.name !== SYNC_JOB) {
      this.logger.warn({ job: job.name }, 'unknown inventory sync job');
      return null;
    }
    const { sku } = job.data;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (this.batcher) {
      let answer: BatchAnswer;
      try {
        answer = await this.batcher.push({ sku, last });
      } catch (err) {
        // The batch itself failed (our database, say): judged per job like an unbatched push.
        return this.failed(sku, err, last);
      }
      if ('outcome' in answer) return { outcome: answer.outcome };
      return this.judged(answer.error, answer.verdict);
    }
    try {
      return { outcome: await this.delivery.syncOne(this.channel, sku) };
    } catch (err) {
      return this.failed(sku, err, last);
    }
  }

  private async failed(sku: string, err: unknown, last: boolean): Promise<{ outcome: 'paused' }> {
    return this.judged(err, await this.delivery.handleFailure(this.channel, [sku], err, () => last));
  }

  /** Held: the job ends quietly (the paused row is replayed on resume). Otherwise BullMQ retries or gives up. */
  private judged(err: unknown, verdict: Verdict): { outcome: 'paused' } {
    if (verdict === 'held') return { outcome: 'paused' };
    if (verdict === 'permanent') throw new UnrecoverableError((err as Error).message);
    throw err;
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
