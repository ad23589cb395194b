import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Channel, ChannelSyncControl, CredentialRejectedError, MetricsService } from '@hub/core';
import { DataSource } from 'typeorm';
import { allocate } from '../allocation';
import { InventoryService } from '../inventory.service';
import { sql } from '../sql';
import { SyncDelivery } from './sync-delivery.service';
import { SyncEnqueuer } from './sync-enqueuer.service';

export interface ReconcileReport {
  channel: Channel;
  checked: number;
  drifted: number;
  missing: number;
  errors: number;
}

const PAGE = 200;
const PARALLEL = 4;

/**
 * Reads every tracked SKU's quantity back from each channel and repairs drift (someone edited the
 * listing by hand, a push was lost on the partner's side). Repair is a normal push: the row is
 * marked dirty and enqueued, so it coalesces with any change in flight.
 */
@Injectable()
export class Reconciler {
  private readonly logger = new Logger('InventoryReconciler');
  private readonly drift;
  private readonly checked;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly inventory: InventoryService,
    private readonly delivery: SyncDelivery,
    private readonly control: ChannelSyncControl,
    private readonly enqueuer: SyncEnqueuer,
    metrics: MetricsService,
  ) {
    this.drift = metrics.counter('inventory_reconcile_drift_fixed_total', 'Channel quantities found different from the allocation and re-pushed', ['channel']);
    this.checked = metrics.counter('inventory_reconcile_checked_total', 'Channel quantities read back by reconciliation', ['channel']);
  }

  async reconcileAll(): Promise<ReconcileReport[]> {
    const reports: ReconcileReport[] = [];
    for (const channel of this.delivery.channels()) {
      if (await this.control.isPaused(channel)) continue;
      reports.push(await this.reconcileChannel(channel));
    }
    return reports;
  }

  async reconcileChannel(channel: Channel): Promise<ReconcileReport> {
    const adapter = this.delivery.adapter(channel);
    const report: ReconcileReport = { channel, checked: 0, drifted: 0, missing: 0, errors: 0 };
    if (!adapter) return report;
    const rule = await this.inventory.channelRule(channel);
    let after = '';
    for (;;) {
      const rows = await sql<{ sku: string; available: number; last_confirmed_quantity: number | null }>(
        this.ds,
        // Rows with a push pending are skipped: the push itself will set them right.
        `SELECT s.sku, i.on_hand - i.reserved AS available, s.last_confirmed_quantity
           FROM inventory_channel_sync s JOIN inventory_items i ON i.sku = s.sku
          WHERE s.channel = $1 AND s.sku > $2 AND s.wanted_version <= s.synced_version
          ORDER BY s.sku LIMIT ${PAGE}`,
        [channel, after],
      );
      if (!rows.length) break;
      after = rows[rows.length - 1].sku;
      for (let i = 0; i < rows.length; i += PARALLEL) {
        await Promise.all(
          rows.slice(i, i + PARALLEL).map(async (r) => {
            const expected = allocate(Number(r.available), rule);
            let actual: number | null;
            try {
              actual = await adapter.fetchQuantity(r.sku);
            } catch (err) {
              report.errors++;
              if (err instanceof CredentialRejectedError) throw err;
              return;
            }
            report.checked++;
            this.checked.inc({ channel });
            if (actual === null) {
              report.missing++;
              return;
            }
            // A channel with a maximum (Nykaa's 1,000,000) shows at most that: no drift, or every run
            // would push again for the same answer. Any other shortfall is drift.
            if (actual === Math.min(expected, adapter.maxQuantity ?? expected)) {
              await sql(
                this.ds,
                `UPDATE inventory_channel_sync SET last_confirmed_quantity = $3, state = 'synced', last_error = NULL, last_synced_at = COALESCE(last_synced_at, now()), updated_at = now()
                  WHERE channel = $1 AND sku = $2 AND wanted_version <= synced_version AND (last_confirmed_quantity IS DISTINCT FROM $3 OR state <> 'synced')`,
                [channel, r.sku, actual],
              );
              return;
            }
            const marked = await sql(
              this.ds,
              `UPDATE inventory_channel_sync SET wanted_version = wanted_version + 1, dirty_since = now(), state = 'pending',
                      last_confirmed_quantity = $3, updated_at = now()
                WHERE channel = $1 AND sku = $2 AND wanted_version <= synced_version RETURNING sku`,
              [channel, r.sku, actual],
            );
            if (!marked.length) return;
            report.drifted++;
            this.drift.inc({ channel });
            this.logger.warn({ channel, sku: r.sku, channelQuantity: actual, expected }, 'stock drift on channel; re-pushing');
            await this.enqueuer.enqueue([{ channel, sku: r.sku }]);
          }),
        ).catch(async (err) => {
          if (err instanceof CredentialRejectedError) {
            await this.delivery.handleFailure(channel, [rows[0].sku], err, () => true);
            return;
          }
          throw err;
        });
        if (await this.control.isPaused(channel)) return report;
      }
    }
    if (report.drifted || report.errors) this.logger.log(report, 'reconciliation found differences');
    return report;
  }
}
