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
  QuantityUpdateResult,
} from '@hub/core';
import { DataSource } from 'typeorm';
import { allocate, DEFAULT_ALLOCATION_RULE } from '../allocation';
import { InventoryConfig } from '../inventory.config';
import { sql } from '../sql';

export type SyncOutcome = 'synced' | 'clean' | 'untracked' | 'paused' | 'no-adapter';

/** Per SKU of a batch: what happened, or the error its job should handle (retry, pause, give up). */
export type BatchOutcome = { outcome: SyncOutcome } | { error: unknown };

interface SyncRow {
  sku: string;
  wanted_version: string;
  synced_version: string;
  available: number;
  dirty_since: Date | null;
  paused: boolean;
  safety_buffer: number | null;
  max_quantity: number | null;
  percentage: number | null;
}

const SYNC_ROW_SELECT = `SELECT s.sku, s.wanted_version, s.synced_version, s.dirty_since, i.on_hand - i.reserved AS available,
                p.channel IS NOT NULL AS paused, r.safety_buffer, r.max_quantity, r.percentage
           FROM inventory_channel_sync s
           JOIN inventory_items i ON i.sku = s.sku
           LEFT JOIN inventory_channel_pauses p ON p.channel = s.channel
           LEFT JOIN inventory_channel_rules r ON r.channel = s.channel`;

/**
 * Statements that update several sync rows lock them first in (channel, sku) order, the order the
 * outbox relay uses: without it a bulk confirmation and the relay's dirty marks deadlocked under
 * load (bench:sync, seconds-long stalls). Expects the channel as $1 and the SKUs as $2.
 */
const LOCK_IN_ORDER = `locked AS (SELECT sku FROM inventory_channel_sync WHERE channel = $1 AND sku = ANY($2::text[]) ORDER BY sku FOR UPDATE)`;

function quantityFor(row: SyncRow): number {
  const rule = row.percentage === null ? DEFAULT_ALLOCATION_RULE : { safetyBuffer: row.safety_buffer!, maxQuantity: row.max_quantity, percentage: row.percentage };
  return allocate(Number(row.available), rule);
}

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
    private readonly cfg: InventoryConfig,
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
      const [row] = await sql<SyncRow>(this.ds, `${SYNC_ROW_SELECT} WHERE s.channel = $1 AND s.sku = $2`, [channel, sku]);
      if (!row) return 'untracked';
      if (row.paused) {
        await this.holdPaused(channel, [sku]);
        return 'paused';
      }
      if (BigInt(row.wanted_version) <= BigInt(row.synced_version)) return 'clean';
      if (!adapter) {
        await this.markError(channel, [sku], 'failed', `no adapter is enabled for channel ${channel}`, true);
        return 'no-adapter';
      }
      const quantity = quantityFor(row);
      const { confirmedQuantity } = await adapter.updateQuantity(sku, quantity);
      const wanted = await this.recordConfirmed(channel, [{ row, quantity, confirmedQuantity }]);
      if (!wanted.has(sku) || BigInt(wanted.get(sku)!) <= BigInt(row.wanted_version)) return 'synced';
    }
    // Still changing: end this job; the sweep (or the follow-up job the relay queued) continues.
    return 'synced';
  }

  /**
   * The batched form of syncOne, for a channel whose adapter has a bulk endpoint: one read for
   * every SKU, one partner call, one write for every confirmation. It does not loop like syncOne:
   * a change that lands during the call queues a follow-up job (keepLastIfActive), which joins a
   * later batch.
   */
  async syncMany(channel: Channel, skus: string[]): Promise<Map<string, BatchOutcome>> {
    const adapter = this.adapters.get(channel);
    if (!adapter?.updateQuantities) throw new Error(`channel ${channel} has no bulk quantity endpoint`);
    const out = new Map<string, BatchOutcome>();
    const unique = [...new Set(skus)];
    const rows = await sql<SyncRow>(this.ds, `${SYNC_ROW_SELECT} WHERE s.channel = $1 AND s.sku = ANY($2::text[])`, [channel, unique]);
    const bySku = new Map(rows.map((r) => [r.sku, r]));
    const paused: string[] = [];
    const todo: { row: SyncRow; quantity: number }[] = [];
    for (const sku of unique) {
      const row = bySku.get(sku);
      if (!row) out.set(sku, { outcome: 'untracked' });
      else if (row.paused) paused.push(sku);
      else if (BigInt(row.wanted_version) <= BigInt(row.synced_version)) out.set(sku, { outcome: 'clean' });
      else todo.push({ row, quantity: quantityFor(row) });
    }
    if (paused.length) {
      await this.holdPaused(channel, paused);
      for (const sku of paused) out.set(sku, { outcome: 'paused' });
    }
    if (!todo.length) return out;

    let results: QuantityUpdateResult[];
    try {
      results = await adapter.updateQuantities(todo.map((t) => ({ sku: t.row.sku, quantity: t.quantity })));
    } catch (error) {
      for (const t of todo) out.set(t.row.sku, { error });
      return out;
    }
    const confirmed: { row: SyncRow; quantity: number; confirmedQuantity: number }[] = [];
    results.forEach((r, i) => {
      if ('error' in r) out.set(todo[i].row.sku, { error: r.error });
      else confirmed.push({ ...todo[i], confirmedQuantity: r.confirmedQuantity });
    });
    await this.recordConfirmed(channel, confirmed);
    for (const c of confirmed) out.set(c.row.sku, { outcome: 'synced' });
    return out;
  }

  /**
   * Records what the channel confirmed for each pushed row (synced up to the version that was read,
   * still pending if a change came in meanwhile); returns each row's wanted_version after the write.
   */
  private async recordConfirmed(channel: Channel, confirmed: { row: SyncRow; quantity: number; confirmedQuantity: number }[]): Promise<Map<string, string>> {
    if (!confirmed.length) return new Map();
    const after = await sql<{ sku: string; wanted_version: string }>(
      this.ds,
      `WITH ${LOCK_IN_ORDER}
       UPDATE inventory_channel_sync s
          SET synced_version = GREATEST(s.synced_version, c.version),
              last_pushed_quantity = c.pushed, last_confirmed_quantity = c.confirmed, last_synced_at = now(), last_error = NULL,
              push_count = s.push_count + 1, refused_pushes = 0, retry_at = NULL,
              state = CASE WHEN s.wanted_version > c.version THEN 'pending' ELSE 'synced' END,
              dirty_since = CASE WHEN s.wanted_version > c.version THEN s.dirty_since ELSE NULL END,
              updated_at = now()
         FROM unnest($2::text[], $3::bigint[], $4::int[], $5::int[]) AS c(sku, version, pushed, confirmed), locked l
        WHERE s.channel = $1 AND s.sku = c.sku AND l.sku = c.sku
        RETURNING s.sku, s.wanted_version`,
      [channel, confirmed.map((c) => c.row.sku), confirmed.map((c) => c.row.wanted_version), confirmed.map((c) => c.quantity), confirmed.map((c) => c.confirmedQuantity)],
    );
    this.pushes.inc({ channel }, confirmed.length);
    const now = Date.now();
    for (const c of confirmed) if (c.row.dirty_since) this.lag.observe({ channel }, (now - new Date(c.row.dirty_since).getTime()) / 1000);
    return new Map(after.map((a) => [a.sku, a.wanted_version]));
  }

  /** The channel is paused: its rows show it, and keep their dirty marks for the replay on resume. */
  private async holdPaused(channel: Channel, skus: string[]): Promise<void> {
    await sql(
      this.ds,
      `WITH ${LOCK_IN_ORDER} UPDATE inventory_channel_sync s SET state = 'paused', updated_at = now()
         FROM locked l WHERE s.channel = $1 AND s.sku = l.sku AND s.state <> 'paused'`,
      [channel, skus],
    );
  }

  /**
   * Decides what a failed push means. A rejected credential stops the whole channel (reported to
   * the vault, channel paused, updates held); a partner refusing the request is permanent;
   * anything else (429, 5xx, timeouts, our own database) is worth retrying.
   */
  async handleFailure(channel: Channel, list: string[], err: unknown, isLast: (sku: string) => boolean): Promise<'held' | 'retry' | 'permanent'> {
    if (err instanceof CredentialRejectedError) {
      this.errors.inc({ channel, kind: 'credential-rejected' });
      await this.credentials.reportRejected(err.partner as never, err.credentialVersion, err.reason).catch((e) => {
        this.logger.error({ channel, err: (e as Error).message }, 'could not report a rejected credential');
      });
      await this.control.pause(channel, `${err.partner} rejected credential version ${err.credentialVersion}: ${err.reason}`);
      await this.markError(channel, list, 'paused', err.message);
      return 'held';
    }
    const retryable = err instanceof ChannelError ? err.retryable : true;
    const message = err instanceof Error ? err.message : String(err);
    this.errors.inc({ channel, kind: err instanceof ChannelError ? err.name : 'other' }, list.length);
    const failed = list.filter((sku) => !retryable || isLast(sku));
    const retrying = list.filter((sku) => retryable && !isLast(sku));
    if (failed.length) await this.markError(channel, failed, 'failed', message, !retryable).catch(() => undefined);
    if (retrying.length) await this.markError(channel, retrying, 'retrying', message).catch(() => undefined);
    if (!retryable) {
      this.logger.warn({ channel, skus: list.slice(0, 20), err: message }, 'channel refused the quantity update; not retrying');
      return 'permanent';
    }
    return 'retry';
  }

  /**
   * A `failed` row also gets the time the sweep may push it again: a failure that may pass is
   * retried after INVENTORY_FAILED_RETRY_MS, like any outage; a refusal waits twice as long as the
   * one before, up to INVENTORY_FAILED_RETRY_MAX_MS, so a listing the channel rejected is not
   * pushed every sweep for ever. New changes are still pushed at once (the relay enqueues them).
   */
  private async markError(channel: Channel, skus: string[], state: 'retrying' | 'failed' | 'paused', message: string, refused = false): Promise<void> {
    await sql(
      this.ds,
      `WITH ${LOCK_IN_ORDER} UPDATE inventory_channel_sync s SET state = $3, last_error = left($4, 500), updated_at = now(),
              refused_pushes = s.refused_pushes + CASE WHEN $5::boolean THEN 1 ELSE 0 END,
              retry_at = CASE WHEN $3 <> 'failed' THEN s.retry_at
                              WHEN $5::boolean THEN now() + make_interval(secs => least($7::double precision, $6::double precision * power(2, least(s.refused_pushes, 30))) / 1000)
                              ELSE now() + make_interval(secs => $6::double precision / 1000) END
         FROM locked l WHERE s.channel = $1 AND s.sku = l.sku`,
      [channel, skus, state, message, refused, this.cfg.INVENTORY_FAILED_RETRY_MS, this.cfg.INVENTORY_FAILED_RETRY_MAX_MS],
    );
  }
}
