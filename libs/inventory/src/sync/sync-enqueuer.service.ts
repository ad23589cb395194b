import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { withTimeout } from '@hub/core';
import type { Channel } from '@hub/core';
import type { Queue } from 'bullmq';
import { INVENTORY_MAINTENANCE_QUEUE, SYNC_JOB, syncDedupId, syncQueueName } from '../constants';
import { InventoryConfig } from '../inventory.config';
import { SYNC_BACKOFF } from './sync-backoff';

export interface SyncTarget {
  channel: Channel;
  sku: string;
}

export interface SyncJobData {
  channel: Channel;
  sku: string;
}

/**
 * Puts one sync job per (channel, SKU) on the queue. The dedup id folds any number of requests into
 * one waiting job; `keepLastIfActive` queues exactly one follow-up when a push is already running,
 * so a change that lands mid-push is never lost. Job data is ids only: the job reads the quantity.
 */
@Injectable()
export class SyncEnqueuer {
  private readonly queues: Map<Channel, Queue>;

  constructor(
    @InjectQueue(syncQueueName('amazon')) amazon: Queue,
    @InjectQueue(syncQueueName('nykaa')) nykaa: Queue,
    @InjectQueue(syncQueueName('storefront')) storefront: Queue,
    @InjectQueue(INVENTORY_MAINTENANCE_QUEUE) readonly maintenance: Queue,
    private readonly cfg: InventoryConfig,
  ) {
    this.queues = new Map([
      ['amazon', amazon],
      ['nykaa', nykaa],
      ['storefront', storefront],
    ]);
    // Without a listener an 'error' event (Redis unreachable) would be thrown; the outbox covers
    // the outage, so a throttled warning is all it deserves.
    let lastWarn = 0;
    const logger = new Logger('SyncEnqueuer');
    for (const q of [amazon, nykaa, storefront, maintenance]) {
      q.on('error', (err) => {
        if (Date.now() - lastWarn < 10_000) return;
        lastWarn = Date.now();
        logger.warn({ queue: q.name, err: err.message }, 'sync queue cannot reach Redis');
      });
    }
  }

  queue(channel: Channel): Queue {
    return this.queues.get(channel)!;
  }

  async enqueue(targets: SyncTarget[]): Promise<void> {
    if (!targets.length) return;
    const byChannel = new Map<Channel, SyncTarget[]>();
    for (const t of targets) byChannel.set(t.channel, [...(byChannel.get(t.channel) ?? []), t]);
    await withTimeout(
      Promise.all([...byChannel].map(([channel, list]) => this.queue(channel).addBulk(this.jobs(list)))),
      this.cfg.INVENTORY_REDIS_TIMEOUT_MS,
      'Redis did not accept the sync jobs in time',
    );
  }

  private jobs(targets: SyncTarget[]) {
    return targets.map((t) => ({
      name: SYNC_JOB,
      data: { channel: t.channel, sku: t.sku } satisfies SyncJobData,
      opts: {
        deduplication: { id: syncDedupId(t.channel, t.sku), keepLastIfActive: true },
        attempts: this.cfg.INVENTORY_SYNC_ATTEMPTS,
        backoff: { type: SYNC_BACKOFF },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    }));
  }
}
