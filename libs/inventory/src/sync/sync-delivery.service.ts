import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  Channel,
  CHANNEL_ADAPTERS,
  ChannelAdapter,
  ChannelError,
  ChannelSyncControl,
  CredentialRejectedError,
  MetricsService,
  PartnerCredentials,
} from '@hub/core';
import { DataSource } from 'typeorm';
import { allocate, DEFAULT_ALLOCATION_RULE } from '../allocation';
import { sql } from '../sql';

export type SyncOutcome = 'synced' | 'clean' | 'untracked' | 'paused' | 'no-adapter';

/** A push failed in a way retrying cannot fix (the partner refused the request itself). */
export class PermanentSyncError extends Error {}

/** Rounds of "push, then find the SKU changed again" one job does before handing over to a new job. */
const MAX_ROUNDS = 5;

/**
 * One coalesced push: reads the SKU's current available quantity, applies the channel's
 * allocation rule, sends the absolute quantity and records what the channel confirmed. Changes
 * that land meanwhile bump `wanted_version`, so the loop pushes again with the newer value.
 */
@Injectable()
export class SyncDelivery {
  private readonly logger = new Logger('InventorySync');
  private readonly adapters: Map<Channel, ChannelAdapter>;
  private readonly pushes;
  private readonly errors;
  private readonly lag;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly control: ChannelSyncControl,
    private readonly credentials: PartnerCredentials,
    metrics: MetricsService,
    @Optional() @Inject(CHANNEL_ADAPTERS) adapters: ChannelAdapter[] | null,
  ) {
    this.adapters = new Map((adapters ?? []).map((a) => [a.channel, a]));
    this.pushes = metrics.counter('inventory_sync_pushes_total', 'Quantity pushes confirmed by a channel', ['channel']);
    this.errors = metrics.counter('inventory_sync_errors_total', 'Failed quantity pushes by kind', ['channel', 'kind']);
    this.lag = metrics.histogram('inventory_sync_lag_seconds', 'From the first unsynced change to the channel confirming', ['channel'], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
  }

  adapter(channel: Channel): ChannelAdapter | undefined {
    return this.adapters.get(channel);
  }

  channels(): Channel[] {
    return [...this.adapters.keys()];
  }

  async syncOne(channel: Channel, sku: string): Promise<SyncOutcome> {
    const adapter = this.adapters.get(channel);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // One read for everything a push needs: pause, versions, available and the channel's rule.
      const [row] = await sql<{
        wanted_version: string; synced_version: string; available: number; dirty_since: Date | null; paused: boolean;
        safety_buffer: number | null; max_quantity: number | null; percentage: number | null;
      }>(
        this.ds,
        `SELECT s.wanted_version, s.synced_version, s.dirty_since, i.on_hand - i.reserved AS available,
                p.channel IS NOT NULL AS paused, r.safety_buffer, r.max_quantity, r.percentage
           FROM inventory_channel_sync s
           JOIN inventory_items i ON i.sku = s.sku
           LEFT JOIN inventory_channel_pauses p ON p.channel = s.channel
           LEFT JOIN inventory_channel_rules r ON r.channel = s.channel
          WHERE s.channel = $1 AND s.sku = $2`,
        [channel, sku],
      );
      if (!row) return 'untracked';
      if (row.paused) {
        await sql(this.ds, `UPDATE inventory_channel_sync SET state = 'paused', updated_at = now() WHERE channel = $1 AND sku = $2 AND state <> 'paused'`, [channel, sku]);
        return 'paused';
      }
      if (BigInt(row.wanted_version) <= BigInt(row.synced_version)) return 'clean';
      if (!adapter) {
        await this.markError(channel, sku, 'failed', `no adapter is enabled for channel ${channel}`);
        return 'no-adapter';
      }
      const version = row.wanted_version;
      const rule = row.percentage === null ? DEFAULT_ALLOCATION_RULE : { safetyBuffer: row.safety_buffer!, maxQuantity: row.max_quantity, percentage: row.percentage };
      const quantity = allocate(Number(row.available), rule);
      const { confirmedQuantity } = await adapter.updateQuantity(sku, quantity);
      const [after] = await sql<{ wanted_version: string }>(
        this.ds,
        `UPDATE inventory_channel_sync
            SET synced_version = GREATEST(synced_version, $3::bigint),
                last_pushed_quantity = $4, last_confirmed_quantity = $5, last_synced_at = now(), last_error = NULL,
                push_count = push_count + 1,
                state = CASE WHEN wanted_version > $3::bigint THEN 'pending' ELSE 'synced' END,
                dirty_since = CASE WHEN wanted_version > $3::bigint THEN dirty_since ELSE NULL END,
                updated_at = now()
          WHERE channel = $1 AND sku = $2 RETURNING wanted_version`,
        [channel, sku, version, quantity, confirmedQuantity],
      );
      this.pushes.inc({ channel });
      if (row.dirty_since) this.lag.observe({ channel }, (Date.now() - new Date(row.dirty_since).getTime()) / 1000);
      if (!after || BigInt(after.wanted_version) <= BigInt(version)) return 'synced';
    }
    // Still changing: end this job; the sweep (or the follow-up job the relay queued) continues.
    return 'synced';
  }

  /**
   * Decides what a failed push means. A rejected credential stops the whole channel (reported to
   * the vault, channel paused, updates held); a partner refusing the request is permanent;
   * anything else (429, 5xx, timeouts, our own database) is worth retrying.
   */
  async handleFailure(channel: Channel, sku: string, err: unknown, lastAttempt: boolean): Promise<'held' | 'retry' | 'permanent'> {
    if (err instanceof CredentialRejectedError) {
      this.errors.inc({ channel, kind: 'credential-rejected' });
      await this.credentials.reportRejected(err.partner as never, err.credentialVersion, err.reason).catch((e) => {
        this.logger.error({ channel, err: (e as Error).message }, 'could not report a rejected credential');
      });
      await this.control.pause(channel, `${err.partner} rejected credential version ${err.credentialVersion}: ${err.reason}`);
      await this.markError(channel, sku, 'paused', err.message);
      return 'held';
    }
    const retryable = err instanceof ChannelError ? err.retryable : true;
    const message = err instanceof Error ? err.message : String(err);
    this.errors.inc({ channel, kind: err instanceof ChannelError ? err.name : 'other' });
    await this.markError(channel, sku, retryable && !lastAttempt ? 'retrying' : 'failed', message).catch(() => undefined);
    if (!retryable) {
      this.logger.warn({ channel, sku, err: message }, 'channel refused the quantity update; not retrying');
      return 'permanent';
    }
    return 'retry';
  }

  private async markError(channel: Channel, sku: string, state: 'retrying' | 'failed' | 'paused', message: string): Promise<void> {
    await sql(this.ds, `UPDATE inventory_channel_sync SET state = $3, last_error = left($4, 500), updated_at = now() WHERE channel = $1 AND sku = $2`, [channel, sku, state, message]);
  }
}
