import { IsIn, IsInt, Max, Min } from 'class-validator';

/** Tuning for the sync pipeline; defaults suit one api and one worker on a laptop. */
export class InventoryConfig {
  /** Sync jobs one worker runs at once (each mostly waits on a partner). */
  @IsInt()
  @Min(1)
  @Max(512)
  INVENTORY_SYNC_CONCURRENCY = 16;

  /**
   * Amazon allows 5 listing calls/s. More jobs in flight would only wait for the rate limiter
   * holding quantities they read seconds earlier, and then push again; two keep each push fresh.
   */
  @IsInt()
  @Min(1)
  @Max(64)
  INVENTORY_AMAZON_SYNC_CONCURRENCY = 2;

  /**
   * Channels with a bulk quantity endpoint (Nykaa, storefront) get one call for every SKU whose job
   * arrived within this window (or as soon as the batch is full). A few milliseconds of waiting
   * buy one partner round trip for tens of SKUs.
   */
  @IsInt()
  @Min(0)
  @Max(1_000)
  INVENTORY_SYNC_BATCH_WINDOW_MS = 5;

  /**
   * Jobs a worker holds at once on a batching channel: the open batch plus those in flight. Each
   * only waits for its batch, so this is far above INVENTORY_SYNC_CONCURRENCY.
   */
  @IsInt()
  @Min(1)
  @Max(2_000)
  INVENTORY_SYNC_BATCH_CONCURRENCY = 256;

  /** Attempts per push before the row is marked failed (the sweeper retries failed rows later). */
  @IsInt()
  @Min(1)
  @Max(50)
  INVENTORY_SYNC_ATTEMPTS = 10;

  /** First retry delay; doubles per attempt, with jitter, up to INVENTORY_BACKOFF_MAX_MS. */
  @IsInt()
  @Min(10)
  INVENTORY_BACKOFF_BASE_MS = 250;

  @IsInt()
  @Min(100)
  INVENTORY_BACKOFF_MAX_MS = 30_000;

  /** Poll for outbox rows other processes wrote; this process's own commits wake its relay at once. */
  @IsInt()
  @Min(20)
  INVENTORY_OUTBOX_POLL_MS = 500;

  /**
   * While commits keep waking the relay, its passes start at least this far apart, so one pass
   * carries every change of the interval. Back to back, passes of a row or two each (four
   * statements and a Redis call apiece) took about a third of a hot SKU's reservations/s in
   * bench:sync (1,185/s against 1,722/s with the relay off; 1,216-1,512/s gathered).
   * The first change after a quiet spell still goes out at once.
   */
  @IsInt()
  @Min(0)
  @Max(1_000)
  INVENTORY_RELAY_GATHER_MS = 10;

  /** A dirty row untouched (no change, no push attempt) for this long is re-enqueued (lost job, Redis outage). */
  @IsInt()
  @Min(100)
  INVENTORY_SWEEP_AFTER_MS = 5_000;

  /**
   * A row whose push failed for good is pushed again by the sweep after this long. Failures that
   * may pass (outage, timeouts) always wait just this; a refusal doubles it each time (below).
   */
  @IsInt()
  @Min(100)
  INVENTORY_FAILED_RETRY_MS = 30_000;

  /**
   * Longest wait before re-pushing a row the channel keeps refusing (a listing it rejected or
   * deleted). A new stock change, or publishing the listing again, still pushes at once.
   */
  @IsInt()
  @Min(100)
  INVENTORY_FAILED_RETRY_MAX_MS = 15 * 60_000;

  /** How often every channel's quantities are read back and drift repaired. */
  @IsInt()
  @Min(1_000)
  INVENTORY_RECONCILE_EVERY_MS = 5 * 60_000;

  /** Give up on a Redis call after this long so a Redis outage cannot stall the relay. */
  @IsInt()
  @Min(100)
  INVENTORY_REDIS_TIMEOUT_MS = 2_000;

  /**
   * `on` (default): a reservation is durable when acknowledged. `off`: reservations made while
   * creating an order (callers passing `allowAsyncCommit`; never a webhook's, whose 200 Razorpay
   * does not redeliver) run their transaction with `synchronous_commit = off`, so the hot row's lock is released before
   * the WAL flush. That is several times more reservations/s on one SKU (flash sales); a Postgres
   * crash may then forget the last few hundred milliseconds of acknowledged orders, together with
   * their reservations, never one without the other.
   */
  @IsIn(['on', 'off'])
  INVENTORY_RESERVE_SYNCHRONOUS_COMMIT: 'on' | 'off' = 'on';
}
