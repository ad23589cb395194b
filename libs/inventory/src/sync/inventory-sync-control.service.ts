import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Channel, CHANNELS, ChannelSyncControl, MetricsService } from '@hub/core';
import { DataSource } from 'typeorm';
import { sql } from '../sql';
import { SyncEnqueuer, SyncTarget } from './sync-enqueuer.service';

/**
 * Pause state lives in Postgres so the vault (api process) and the sync workers (worker
 * processes) agree. A paused channel's pushes are held as dirty rows, never dropped; resume
 * enqueues them and each job reads the latest quantity, so only current values go out.
 */
@Injectable()
export class InventorySyncControl extends ChannelSyncControl {
  private readonly logger = new Logger('InventorySyncControl');
  private readonly pausedGauge;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly enqueuer: SyncEnqueuer,
    metrics: MetricsService,
  ) {
    super();
    this.pausedGauge = metrics.gauge('inventory_channel_paused', '1 while stock sync to the channel is paused', ['channel']);
  }

  async pause(channel: Channel, reason: string): Promise<void> {
    assertChannel(channel);
    await this.ds.transaction(async (m) => {
      await sql(m, `INSERT INTO inventory_channel_pauses (channel, reason) VALUES ($1, $2) ON CONFLICT (channel) DO UPDATE SET reason = EXCLUDED.reason`, [channel, reason]);
      // Rows locked in sku order, like every other multi-row update of this table (no deadlocks with the relay).
      await sql(
        m,
        `WITH locked AS (SELECT sku FROM inventory_channel_sync WHERE channel = $1 ORDER BY sku FOR UPDATE)
         UPDATE inventory_channel_sync s SET state = 'paused', updated_at = now() FROM locked l WHERE s.channel = $1 AND s.sku = l.sku AND s.state <> 'paused'`,
        [channel],
      );
    });
    this.pausedGauge.set({ channel }, 1);
    this.logger.warn({ channel, reason }, 'stock sync paused for channel; updates are held until resume');
  }

  async resume(channel: Channel): Promise<void> {
    assertChannel(channel);
    const held = await this.ds.transaction(async (m) => {
      await sql(m, `DELETE FROM inventory_channel_pauses WHERE channel = $1`, [channel]);
      return sql<SyncTarget>(
        m,
        `WITH locked AS (SELECT sku FROM inventory_channel_sync WHERE channel = $1 AND state = 'paused' ORDER BY sku FOR UPDATE)
         UPDATE inventory_channel_sync s
            SET state = CASE WHEN s.wanted_version > s.synced_version OR s.last_synced_at IS NULL THEN 'pending' ELSE 'synced' END,
                dirty_since = CASE WHEN s.wanted_version > s.synced_version THEN COALESCE(s.dirty_since, now()) ELSE s.dirty_since END,
                updated_at = now()
           FROM locked l
          WHERE s.channel = $1 AND s.sku = l.sku AND s.state = 'paused'
          RETURNING s.channel, s.sku, s.wanted_version > s.synced_version AS dirty`,
        [channel],
      );
    });
    this.pausedGauge.set({ channel }, 0);
    const dirty = (held as (SyncTarget & { dirty: boolean })[]).filter((r) => r.dirty).map((r) => ({ channel: r.channel, sku: r.sku }));
    try {
      await this.enqueuer.enqueue(dirty);
    } catch (err) {
      // The rows are dirty in Postgres; the relay's sweep enqueues them once Redis answers.
      this.logger.warn({ channel, err: (err as Error).message }, 'resume could not enqueue held updates now; the sweep will');
    }
    this.logger.log({ channel, replayed: dirty.length }, 'stock sync resumed for channel');
  }

  async isPaused(channel: Channel): Promise<boolean> {
    const rows = await sql(this.ds, `SELECT 1 FROM inventory_channel_pauses WHERE channel = $1`, [channel]);
    return rows.length > 0;
  }

  async pausedChannels(): Promise<{ channel: Channel; reason: string; since: string }[]> {
    const rows = await sql<{ channel: Channel; reason: string; since: Date }>(this.ds, `SELECT channel, reason, since FROM inventory_channel_pauses ORDER BY channel`);
    return rows.map((r) => ({ channel: r.channel, reason: r.reason, since: new Date(r.since).toISOString() }));
  }
}

function assertChannel(channel: Channel): void {
  if (!CHANNELS.includes(channel)) throw new Error(`unknown channel ${String(channel)}`);
}
