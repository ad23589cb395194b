import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InventoryConfig } from '../inventory.config';
import { RECONCILE_JOB } from '../constants';
import { SyncEnqueuer } from './sync-enqueuer.service';

const SCHEDULER_ID = `inventory-${RECONCILE_JOB}`;

/**
 * Declares the reconciliation schedule; an idempotent upsert, so every worker may do it. Repeated
 * every minute because the schedule lives in Redis: a Redis that lost its data (restart without
 * persistence) would otherwise silently stop reconciliation until the next worker restart.
 */
@Injectable()
export class InventorySyncSchedules implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InventorySyncSchedules');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly enqueuer: SyncEnqueuer,
    private readonly cfg: InventoryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.declare();
    this.timer = setInterval(() => {
      // Only when missing: re-upserting an existing schedule could keep moving its next run.
      this.enqueuer.maintenance
        .getJobScheduler(SCHEDULER_ID)
        .then((existing) => (existing ? undefined : this.declare()))
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'could not re-declare the reconciliation schedule'));
    }, 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async declare(): Promise<void> {
    await this.enqueuer.maintenance.upsertJobScheduler(
      SCHEDULER_ID,
      { every: this.cfg.INVENTORY_RECONCILE_EVERY_MS },
      { name: RECONCILE_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}
