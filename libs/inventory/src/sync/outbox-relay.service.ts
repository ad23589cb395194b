import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsService } from '@hub/core';
import { DataSource } from 'typeorm';
import { InventoryConfig } from '../inventory.config';
import { sql } from '../sql';
import { OutboxSignal } from './outbox-signal.service';
import { SyncEnqueuer, SyncTarget } from './sync-enqueuer.service';

const BATCH = 500;

/**
 * Moves committed outbox rows to BullMQ: each batch becomes "dirty" marks on the (channel, SKU)
 * sync rows and sync jobs, and leaves the outbox only once Redis accepted the jobs, so with Redis
 * down the rows stay in the outbox and go out when it returns.
 * Woken right after this process commits a stock change (OutboxSignal), and by a short poll for
 * rows other processes wrote. Several relays (every api and worker
 * instance) can run at once; if two take the same rows the work is merely repeated.
 *
 * It also sweeps: a dirty row nobody touched for a while (a job lost with Redis, a worker killed) is
 * enqueued again, which is harmless because the dedup id folds it into any job still pending; a
 * failed row is enqueued again when its retry time comes.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastSweep = 0;
  private lastWarn = 0;
  private readonly relayed;
  private readonly failures;
  private readonly passes;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly enqueuer: SyncEnqueuer,
    private readonly cfg: InventoryConfig,
    private readonly signal: OutboxSignal,
    metrics: MetricsService,
  ) {
    this.relayed = metrics.counter('inventory_outbox_relayed_total', 'Outbox rows moved to the sync queue');
    this.failures = metrics.counter('inventory_outbox_relay_failures_total', 'Relay passes that could not reach Redis or Postgres');
    this.passes = metrics.counter('inventory_outbox_relay_passes_total', 'Relay passes (each drains the outbox)');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (process.env.INVENTORY_RELAY === 'off') return;
    this.signal.onCommitted(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.cfg.INVENTORY_OUTBOX_POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs a drain now, or right after the one in progress. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Drains until the outbox is empty; resolves when done (tests and shutdown wait on it). */
  async drainNow(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drainOnce();
      total += n;
      if (n < BATCH) return total;
    }
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const started = Date.now();
      this.passes.inc();
      try {
        await this.drainNow();
        if (Date.now() - this.lastSweep >= Math.min(1000, this.cfg.INVENTORY_SWEEP_AFTER_MS / 2)) {
          this.lastSweep = Date.now();
          await this.sweep();
        }
      } catch (err) {
        this.failures.inc();
        // An outage fails every poll; one line every 10 s is enough to see it.
        if (Date.now() - this.lastWarn > 10_000) {
          this.lastWarn = Date.now();
          this.logger.warn({ err: (err as Error).message }, 'outbox relay pass failed; changes stay in the outbox and will be retried');
        }
        return;
      }
      // Kicked meanwhile: gather the rest of the interval's commits into the next pass. Checked
      // against the clock, since a timer counts from the event loop's cached time and can fire early.
      const until = started + this.cfg.INVENTORY_RELAY_GATHER_MS;
      while (this.again && !this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, until - Date.now()));
    } while (this.again && !this.closed);
  }

  /**
   * Three short steps, so no lock is held while Redis is called: (1) mark the SKUs' sync rows dirty
   * and commit, (2) enqueue, (3) delete the outbox rows. A job can therefore never run before its
   * dirty mark is visible. If Redis fails at (2) the outbox rows stay and the next pass retries; a
   * crash between steps only repeats work (marks and dedup'd jobs are idempotent).
   */
  private async drainOnce(): Promise<number> {
    const batch = await sql<{ id: string; sku: string }>(this.ds, `SELECT id, sku FROM inventory_outbox ORDER BY id LIMIT ${BATCH}`);
    if (!batch.length) return 0;
    const skus = [...new Set(batch.map((r) => r.sku))].sort();
    // One autocommitted statement, not BEGIN/UPDATE/COMMIT: the marks lock every channel's row of
    // up to BATCH SKUs, and pushes confirming those rows wait on them, so the locks must not also
    // span two round trips to a busy event loop (with this and the gather in loop(), bench:sync's
    // Nykaa + storefront p99 went from 300-500 ms to about 100-175 ms).
    const marked = await sql<{ channel: SyncTarget['channel']; sku: string; paused: boolean }>(
      this.ds,
      // Rows locked in (channel, sku) order so two relays touching the same SKUs cannot deadlock.
      `WITH locked AS (
         SELECT channel, sku FROM inventory_channel_sync WHERE sku = ANY($1) ORDER BY channel, sku FOR UPDATE
       )
       UPDATE inventory_channel_sync s
          SET wanted_version = s.wanted_version + 1,
              dirty_since = COALESCE(s.dirty_since, now()),
              state = CASE WHEN p.channel IS NOT NULL THEN 'paused' ELSE 'pending' END,
              updated_at = now()
         FROM locked l LEFT JOIN inventory_channel_pauses p ON p.channel = l.channel
        WHERE s.channel = l.channel AND s.sku = l.sku
        RETURNING s.channel, s.sku, (p.channel IS NOT NULL) AS paused`,
      [skus],
    );
    // Paused channels keep their dirty marks (held); resume() enqueues them.
    await this.enqueuer.enqueue(marked.filter((r) => !r.paused).map((r) => ({ channel: r.channel, sku: r.sku })));
    await sql(this.ds, `DELETE FROM inventory_outbox WHERE id = ANY($1::bigint[])`, [batch.map((r) => r.id)]);
    this.relayed.inc(batch.length);
    return batch.length;
  }

  async sweep(): Promise<number> {
    const rows = await sql<SyncTarget>(
      this.ds,
      `SELECT s.channel, s.sku FROM inventory_channel_sync s
        WHERE s.wanted_version > s.synced_version
          AND NOT EXISTS (SELECT 1 FROM inventory_channel_pauses p WHERE p.channel = s.channel)
          AND ((s.state <> 'failed' AND s.updated_at < now() - make_interval(secs => $1::double precision / 1000))
               -- Failed rows wait for their own schedule, so a refused one is not re-pushed every pass. Only
               -- SyncDelivery.markError sets state 'failed', and it always sets retry_at (the retry migration
               -- backfilled older failed rows), so no fallback for a NULL retry_at is needed.
               OR (s.state = 'failed' AND s.retry_at <= now()))
        ORDER BY s.updated_at LIMIT 1000`,
      [this.cfg.INVENTORY_SWEEP_AFTER_MS],
    );
    await this.enqueuer.enqueue(rows);
    return rows.length;
  }
}
