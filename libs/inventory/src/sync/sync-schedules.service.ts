import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InventoryConfig } from '../inventory.config';
import { RECONCILE_JOB } from '../constants';
import { SyncEnqueuer } from './sync-enqueuer.service';

/** Declares the reconciliation schedule; an idempotent upsert, so every worker may do it. */
@Injectable()
export class InventorySyncSchedules implements OnApplicationBootstrap {
  constructor(
    private readonly enqueuer: SyncEnqueuer,
    private readonly cfg: InventoryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.enqueuer.maintenance.upsertJobScheduler(
      `inventory-${RECONCILE_JOB}`,
      { every: this.cfg.INVENTORY_RECONCILE_EVERY_MS },
      { name: RECONCILE_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}
