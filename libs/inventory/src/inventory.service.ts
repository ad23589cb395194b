import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Channel, CHANNELS, notFound, ProblemException, validationFailed } from '@hub/core';
import { DataSource, EntityManager } from 'typeorm';
import { allocate, AllocationRule, DEFAULT_ALLOCATION_RULE } from './allocation';
import { sql } from './sql';
import { OutboxSignal } from './sync/outbox-signal.service';
import type { MovementKind } from './entities/inventory-movement.entity';
import type { SyncState } from './entities/channel-sync.entity';
import { InventoryConfig } from './inventory.config';
import { InsufficientLine, InsufficientStockError, ReservationExistsError, UnknownSkuError } from './inventory.errors';

/** Quantities are int4 columns; anything above this is a typo, not stock. */
export const MAX_QUANTITY = 1_000_000_000;

export interface OrderLineInput {
  lineId: string;
  sku: string;
  quantity: number;
}

export interface ReserveInput {
  orderId: string;
  channel: Channel;
  lines: OrderLineInput[];
  actorKeyId?: string | null;
  expiresAt?: Date | null;
  /**
   * With INVENTORY_RESERVE_SYNCHRONOUS_COMMIT=off, lets the caller's transaction commit before its
   * WAL flush (the trade-off in inventory.config.ts). Only order creation sets it: a crash then
   * loses the new order together with its stock. Never a transaction acknowledging something the
   * sender will not send again, such as a Razorpay capture.
   */
  allowAsyncCommit?: boolean;
}

export interface SellDirectInput {
  orderId: string;
  channel: Channel;
  lines: OrderLineInput[];
  actorKeyId?: string | null;
  /** See ReserveInput.allowAsyncCommit. */
  allowAsyncCommit?: boolean;
}

export interface StockLevel {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  updatedAt: string;
}

export interface ChannelStock {
  channel: Channel;
  /** What the allocation rules give this channel now. */
  allocatedQuantity: number;
  /** The quantity the channel last confirmed (null until its first confirmation). */
  lastConfirmedQuantity: number | null;
  state: SyncState;
  lastError: string | null;
  lastSyncedAt: string | null;
}

export interface Movement {
  id: string;
  sku: string;
  kind: MovementKind;
  onHandDelta: number;
  reservedDelta: number;
  onHandAfter: number;
  reservedAfter: number;
  reason: string | null;
  actorKeyId: string | null;
  orderId: string | null;
  orderLineId: string | null;
  channel: string | null;
  createdAt: string;
}

interface MovementRow {
  sku: string;
  kind: MovementKind;
  onHandDelta: number;
  reservedDelta: number;
  onHandAfter: number;
  reservedAfter: number;
  reason?: string | null;
  actorKeyId?: string | null;
  orderId?: string | null;
  orderLineId?: string | null;
  channel?: string | null;
}

let savepointSeq = 0;

/**
 * Runs `fn` inside the caller's transaction when there is one (under a savepoint, so a refused
 * reservation leaves nothing behind even if the caller swallows the error), or in a new one.
 */
async function atomically<T>(manager: EntityManager, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  if (!manager.queryRunner?.isTransactionActive) return manager.transaction(fn);
  const sp = `inventory_sp_${++savepointSeq}`;
  await manager.query(`SAVEPOINT ${sp}`);
  try {
    const result = await fn(manager);
    await manager.query(`RELEASE SAVEPOINT ${sp}`);
    return result;
  } catch (err) {
    // If the transaction is already aborted this fails too; the caller's rollback then undoes everything.
    await manager.query(`ROLLBACK TO SAVEPOINT ${sp}`).catch(() => undefined);
    throw err;
  }
}

function checkQuantity(field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validationFailed([{ field, message: 'must be an integer' }]);
  if (value < min || value > MAX_QUANTITY) throw validationFailed([{ field, message: `must be between ${min} and ${MAX_QUANTITY}` }]);
}

function checkLines(lines: OrderLineInput[]): Map<string, number> {
  if (!Array.isArray(lines) || lines.length === 0) throw validationFailed([{ field: 'lines', message: 'must contain at least one line' }]);
  const bySku = new Map<string, number>();
  const seen = new Set<string>();
  lines.forEach((l, i) => {
    if (typeof l.sku !== 'string' || !l.sku) throw validationFailed([{ field: `lines.${i}.sku`, message: 'must be a non-empty string' }]);
    if (typeof l.lineId !== 'string' || !l.lineId) throw validationFailed([{ field: `lines.${i}.lineId`, message: 'must be a non-empty string' }]);
    if (seen.has(l.lineId)) throw validationFailed([{ field: `lines.${i}.lineId`, message: 'is repeated' }]);
    seen.add(l.lineId);
    checkQuantity(`lines.${i}.quantity`, l.quantity, 1);
    // Two lines of one SKU are checked against their sum, not each on its own.
    bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  });
  for (const [sku, q] of bySku) if (q > MAX_QUANTITY) throw validationFailed([{ field: 'lines', message: `total quantity of ${sku} is too large` }]);
  return bySku;
}

function checkChannel(channel: unknown): asserts channel is Channel {
  if (!CHANNELS.includes(channel as Channel)) throw validationFailed([{ field: 'channel', message: `must be one of ${CHANNELS.join(', ')}` }]);
}

/**
 * Every write that touches an order's reservation rows first takes this transaction-scoped lock on
 * the order id. Reservation rows (unique per order line) and stock rows are otherwise locked in
 * different orders by different paths (a one-SKU reservation updates the stock row before inserting
 * its line; a multi-SKU one inserts its lines first; settling locks lines, then stock), and two
 * writes for the same order then deadlock. Writes for different orders never share reservation
 * rows, so they contend only on stock rows, which every path locks in SKU order.
 */
const ORDER_LOCK = `pg_advisory_xact_lock(hashtextextended('inventory-order:' || $1::text, 0))`;

/** SKU order: every transaction locks stock rows in the same order, so multi-line orders cannot deadlock. */
const bySkuOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The channels an API key is bound to; null or undefined: every channel. */
export type ChannelBinding = readonly Channel[] | null | undefined;

/**
 * SQL condition: the stock row `item` is reachable by a key bound to the channels in `param`. Inventory
 * does not read the catalog's tables, so "the SKU is on one of those channels" is its own sync row for
 * the channel, which the catalog's publisher creates and a delist removes. It applies only to a bound key
 * (OFFERED_ON_IF_BOUND), and a hidden SKU then takes the unknown-SKU path: a bound key cannot tell it exists.
 */
const OFFERED_ON = (item: string, param: string) =>
  `EXISTS (SELECT 1 FROM inventory_channel_sync s WHERE s.sku = ${item}.sku AND s.channel = ANY(${param}::text[]))`;
/** OFFERED_ON when `param` holds channels; true when it is NULL (an unbound key), so one statement serves both. */
const OFFERED_ON_IF_BOUND = (item: string, param: string) => `(${param}::text[] IS NULL OR ${OFFERED_ON(item, param)})`;

/**
 * The single truth for stock. Every write is a guarded statement (`... WHERE on_hand - reserved >= q`)
 * evaluated under the row lock, never read-then-write, and writes its ledger rows and an outbox row
 * in the same transaction so channel pushes follow every committed change.
 */
@Injectable()
export class InventoryService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly signal: OutboxSignal,
    private readonly cfg: InventoryConfig,
  ) {}

  // ---- writes used by other libs (inside the caller's transaction) ----

  async ensureItem(manager: EntityManager, sku: string, onHand: number, actorKeyId: string | null = null): Promise<void> {
    if (typeof sku !== 'string' || !sku) throw validationFailed([{ field: 'sku', message: 'must be a non-empty string' }]);
    checkQuantity('stock', onHand, 0);
    await atomically(manager, async (m) => {
      const inserted: unknown[] = await sql(m, `INSERT INTO inventory_items (sku, on_hand) VALUES ($1, $2) ON CONFLICT (sku) DO NOTHING RETURNING sku`, [sku, onHand]);
      if (!inserted.length) return;
      await this.record(m, [{ sku, kind: 'set', onHandDelta: onHand, reservedDelta: 0, onHandAfter: onHand, reservedAfter: 0, reason: 'initial stock', actorKeyId }], [sku]);
    });
  }

  async reserve(manager: EntityManager, input: ReserveInput): Promise<void> {
    return this.take(manager, 'reserve', input);
  }

  async sellDirect(manager: EntityManager, input: SellDirectInput): Promise<void> {
    return this.take(manager, 'sell', input);
  }

  /**
   * Reserve (storefront, paid later) or sell at once (marketplace): the same all-or-nothing guard,
   * so a marketplace sale may not take stock promised to someone else.
   */
  private async take(manager: EntityManager, mode: 'reserve' | 'sell', input: ReserveInput | SellDirectInput): Promise<void> {
    checkChannel(input.channel);
    const bySku = checkLines(input.lines);
    if (bySku.size === 1) return this.takeOneSku(manager, mode, input, bySku);
    const reserve = mode === 'reserve';
    await atomically(manager, async (m) => {
      await sql(m, `SELECT ${ORDER_LOCK}`, [input.orderId]);
      const inserted: { line_id: string }[] = await sql(m, 
        `INSERT INTO inventory_reservations (order_id, line_id, sku, channel, quantity, status, expires_at, reason)
         SELECT $1, l.line_id, l.sku, $2, l.quantity, $6, $7, $8
           FROM unnest($3::text[], $4::text[], $5::int[]) AS l(line_id, sku, quantity)
         ON CONFLICT (order_id, line_id) DO NOTHING RETURNING line_id`,
        [
          input.orderId, input.channel, input.lines.map((l) => l.lineId), input.lines.map((l) => l.sku), input.lines.map((l) => l.quantity),
          reserve ? 'active' : 'committed', reserve ? ((input as ReserveInput).expiresAt ?? null) : null, reserve ? null : 'marketplace order',
        ],
      );
      if (inserted.length !== input.lines.length) {
        const fresh = new Set(inserted.map((r) => r.line_id));
        throw new ReservationExistsError(input.orderId, input.lines.filter((l) => !fresh.has(l.lineId)).map((l) => l.lineId));
      }
      const after = await this.guardedUpdate(m, bySku, reserve ? 'reserved = reserved + $2' : 'on_hand = on_hand - $2');
      await this.record(
        m,
        input.lines.map((l) => ({
          sku: l.sku, kind: reserve ? 'reservation' : 'sale', onHandDelta: reserve ? 0 : -l.quantity, reservedDelta: reserve ? l.quantity : 0,
          onHandAfter: after.get(l.sku)!.onHand, reservedAfter: after.get(l.sku)!.reserved,
          actorKeyId: input.actorKeyId, orderId: input.orderId, orderLineId: l.lineId, channel: input.channel, reason: reserve ? undefined : 'marketplace order',
        })),
        [...bySku.keys()],
      );
    });
  }

  private async takeOneSku(manager: EntityManager, mode: 'reserve' | 'sell', input: ReserveInput | SellDirectInput, bySku: Map<string, number>): Promise<void> {
    const [[sku, total]] = [...bySku];
    const reserve = mode === 'reserve';
    // Only where the caller allowed it: the same reservation inside the Razorpay webhook's transaction
    // (a late capture re-reserving) must be durable before we answer 200, as Razorpay will not redeliver.
    if (this.cfg.INVENTORY_RESERVE_SYNCHRONOUS_COMMIT === 'off' && input.allowAsyncCommit && manager.queryRunner?.isTransactionActive) {
      await manager.query(`SET LOCAL synchronous_commit = off`);
    }
    const rows = await sql<{ on_hand: number }>(
      manager,
      // The order lock rides in the same statement (one round trip): a CTE calling a volatile function
      // is materialised, and the uncorrelated EXISTS is a one-time filter run before the row is locked.
      `WITH lk AS (
         SELECT ${ORDER_LOCK.replace('$1', '$3')}
       ), u AS (
         UPDATE inventory_items SET ${reserve ? 'reserved = reserved + $2' : 'on_hand = on_hand - $2'}, updated_at = now()
          WHERE EXISTS (SELECT 1 FROM lk) AND sku = $1 AND on_hand - reserved >= $2 RETURNING on_hand, reserved
       ), l AS (
         SELECT * FROM unnest($5::text[], $6::int[]) AS l(line_id, quantity)
       ), r AS (
         INSERT INTO inventory_reservations (order_id, line_id, sku, channel, quantity, status, expires_at, reason)
         SELECT $3, l.line_id, $1, $4, l.quantity, $7, $8, $9 FROM u, l
       ), mv AS (
         INSERT INTO inventory_movements (sku, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor_key_id, order_id, order_line_id, channel)
         SELECT $1, $10, ${reserve ? '0, l.quantity' : '-l.quantity, 0'}, u.on_hand, u.reserved, $9, $11, $3, l.line_id, $4 FROM u, l
       ), ob AS (
         INSERT INTO inventory_outbox (sku) SELECT $1 FROM u
       )
       SELECT on_hand FROM u`,
      [
        sku, total, input.orderId, input.channel, input.lines.map((l) => l.lineId), input.lines.map((l) => l.quantity),
        reserve ? 'active' : 'committed', reserve ? ((input as ReserveInput).expiresAt ?? null) : null, reserve ? null : 'marketplace order',
        reserve ? 'reservation' : 'sale', input.actorKeyId ?? null,
      ],
    ).catch((err) => {
      if ((err as { code?: string }).code === '23505') throw new ReservationExistsError(input.orderId, input.lines.map((l) => l.lineId));
      throw err;
    });
    if (!rows.length) throw await this.shortage(manager, bySku, new Map());
    this.signal.written(manager);
  }

  async commitReservations(manager: EntityManager, orderId: string, actorKeyId: string | null = null): Promise<void> {
    await this.settle(manager, orderId, 'committed', null, actorKeyId);
  }

  async releaseReservations(manager: EntityManager, orderId: string, reason: string, actorKeyId: string | null = null): Promise<number> {
    return this.settle(manager, orderId, 'released', reason, actorKeyId);
  }

  /** Turns an order's active reservations into a sale or frees them; a second call finds none (idempotent). */
  private async settle(manager: EntityManager, orderId: string, to: 'committed' | 'released', reason: string | null, actorKeyId: string | null): Promise<number> {
    return atomically(manager, async (m) => {
      // The order lock, then reservation rows, then stock rows in SKU order.
      await sql(m, `SELECT ${ORDER_LOCK}`, [orderId]);
      const lines: { line_id: string; sku: string; quantity: number; channel: string }[] = await sql(m, 
        `UPDATE inventory_reservations SET status = $2, reason = COALESCE($3, reason), updated_at = now()
          WHERE order_id = $1 AND status = 'active' RETURNING line_id, sku, quantity, channel`,
        [orderId, to, reason],
      );
      if (!lines.length) return 0;
      const bySku = new Map<string, number>();
      for (const l of lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
      const after = new Map<string, { onHand: number; reserved: number }>();
      const set = to === 'committed' ? 'on_hand = on_hand - $2, reserved = reserved - $2' : 'reserved = reserved - $2';
      for (const sku of [...bySku.keys()].sort(bySkuOrder)) {
        const [row] = await sql(m, `UPDATE inventory_items SET ${set}, updated_at = now() WHERE sku = $1 RETURNING on_hand, reserved`, [sku, bySku.get(sku)]);
        after.set(sku, { onHand: row.on_hand, reserved: row.reserved });
      }
      await this.record(
        m,
        lines.map((l) => ({
          sku: l.sku,
          kind: to === 'committed' ? 'commit' : 'release',
          onHandDelta: to === 'committed' ? -l.quantity : 0,
          reservedDelta: -l.quantity,
          onHandAfter: after.get(l.sku)!.onHand,
          reservedAfter: after.get(l.sku)!.reserved,
          reason,
          actorKeyId,
          orderId,
          orderLineId: l.line_id,
          channel: l.channel,
        })),
        // A commit moves units from reserved to sold: available is unchanged, so channels need no push.
        to === 'released' ? [...bySku.keys()] : [],
      );
      return lines.length;
    });
  }

  /**
   * Applies `set` to each SKU's row only where `on_hand - reserved >= q` holds under the row lock.
   * All-or-nothing: if any SKU falls short, the statement results are discarded by the caller's
   * savepoint and InsufficientStockError names every short line.
   */
  private async guardedUpdate(m: EntityManager, bySku: Map<string, number>, set: string): Promise<Map<string, { onHand: number; reserved: number }>> {
    const after = new Map<string, { onHand: number; reserved: number }>();
    for (const sku of [...bySku.keys()].sort(bySkuOrder)) {
      const q = bySku.get(sku)!;
      const rows: { on_hand: number; reserved: number }[] = await sql(m, 
        `UPDATE inventory_items SET ${set}, updated_at = now() WHERE sku = $1 AND on_hand - reserved >= $2 RETURNING on_hand, reserved`,
        [sku, q],
      );
      if (!rows.length) throw await this.shortage(m, bySku, after);
      after.set(sku, { onHand: rows[0].on_hand, reserved: rows[0].reserved });
    }
    return after;
  }

  private async shortage(m: EntityManager, bySku: Map<string, number>, alreadyTaken: Map<string, unknown>): Promise<Error> {
    const skus = [...bySku.keys()];
    const rows: { sku: string; available: number }[] = await sql(m, `SELECT sku, on_hand - reserved AS available FROM inventory_items WHERE sku = ANY($1)`, [skus]);
    // Figures read in this transaction include the lines we already took; report what was there before us.
    const avail = new Map(rows.map((r) => [r.sku, Number(r.available) + (alreadyTaken.has(r.sku) ? bySku.get(r.sku)! : 0)]));
    const unknown = skus.filter((s) => !avail.has(s));
    if (unknown.length) return new UnknownSkuError(unknown);
    const lines: InsufficientLine[] = skus.map((sku) => ({ sku, requested: bySku.get(sku)!, available: avail.get(sku)! }));
    return new InsufficientStockError(lines.filter((l) => l.requested > l.available).length ? lines.filter((l) => l.requested > l.available) : lines);
  }

  private translateFk(err: unknown, skus: string[]): never {
    if ((err as { code?: string }).code === '23503') throw new UnknownSkuError(skus);
    throw err;
  }

  /** Ledger rows plus outbox rows; the relay is woken once the transaction commits. */
  private async record(m: EntityManager, moves: MovementRow[], changedSkus: string[]): Promise<void> {
    const col = <K extends keyof MovementRow>(k: K) => moves.map((x) => x[k] ?? null);
    await sql(m, 
      `WITH mv AS (
         INSERT INTO inventory_movements (sku, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor_key_id, order_id, order_line_id, channel)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       )
       INSERT INTO inventory_outbox (sku) SELECT unnest($12::text[])`,
      [
        col('sku'), col('kind'), col('onHandDelta'), col('reservedDelta'), col('onHandAfter'), col('reservedAfter'),
        col('reason'), col('actorKeyId'), col('orderId'), col('orderLineId'), col('channel'), changedSkus,
      ],
    );
    if (changedSkus.length) this.signal.written(m);
  }

  // ---- writes behind the HTTP API (own transaction unless given one) ----

  /** Absolute count, e.g. after a stocktake. Cannot go below what is reserved for open orders. */
  async setOnHand(
    sku: string,
    onHand: number,
    actorKeyId: string | null,
    manager: EntityManager = this.ds.manager,
    reason: string | null = null,
    boundTo: ChannelBinding = null,
  ): Promise<StockLevel> {
    checkQuantity('onHand', onHand, 0);
    return atomically(manager, async (m) => {
      // FOR NO KEY UPDATE, not FOR UPDATE: the key never changes, and FOR UPDATE would conflict with the
      // KEY SHARE locks that reservation inserts take through their foreign key, deadlocking with a
      // concurrent multi-SKU reservation (found by the fast-check scheduler property test).
      const [cur] = await sql(
        m,
        `SELECT on_hand, reserved FROM inventory_items i WHERE sku = $1 AND ${OFFERED_ON_IF_BOUND('i', '$2')} FOR NO KEY UPDATE OF i`,
        [sku, boundTo ?? null],
      );
      if (!cur) throw notFound(`SKU ${sku}`);
      if (onHand < cur.reserved) {
        throw new ProblemException(422, 'below-reserved', `onHand ${onHand} is below the ${cur.reserved} units reserved for open orders`, {
          extensions: { errors: [{ field: 'onHand', message: `must be at least ${cur.reserved} (reserved)` }], onHand: cur.on_hand, reserved: cur.reserved },
        });
      }
      const [row] = await sql(m, `UPDATE inventory_items SET on_hand = $2, updated_at = now() WHERE sku = $1 RETURNING sku, on_hand, reserved, updated_at`, [sku, onHand]);
      if (onHand !== cur.on_hand) {
        await this.record(m, [{ sku, kind: 'set', onHandDelta: onHand - cur.on_hand, reservedDelta: 0, onHandAfter: onHand, reservedAfter: row.reserved, reason, actorKeyId }], [sku]);
      }
      return toLevel(row);
    });
  }

  /** Relative change (received a delivery, found damage). Refused if it would go below reserved or above MAX_QUANTITY. */
  async adjust(
    sku: string,
    delta: number,
    reason: string,
    actorKeyId: string | null,
    manager: EntityManager = this.ds.manager,
    boundTo: ChannelBinding = null,
  ): Promise<StockLevel> {
    if (typeof delta !== 'number' || !Number.isInteger(delta)) throw validationFailed([{ field: 'delta', message: 'must be an integer' }]);
    if (delta === 0 || Math.abs(delta) > MAX_QUANTITY) throw validationFailed([{ field: 'delta', message: `must be non-zero and between -${MAX_QUANTITY} and ${MAX_QUANTITY}` }]);
    // One statement: the guarded UPDATE, its ledger row and its outbox row stand or fall together.
    const rows = await sql<{ sku: string; on_hand: number; reserved: number; updated_at: Date }>(
      manager,
      `WITH u AS (
         UPDATE inventory_items i SET on_hand = on_hand + $2, updated_at = now()
          WHERE sku = $1 AND on_hand + $2 >= reserved AND on_hand + $2 <= ${MAX_QUANTITY} AND ${OFFERED_ON_IF_BOUND('i', '$5')}
          RETURNING sku, on_hand, reserved, updated_at
       ), mv AS (
         INSERT INTO inventory_movements (sku, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor_key_id)
         SELECT sku, 'adjustment', $2, 0, on_hand, reserved, $3, $4 FROM u
       ), ob AS (
         INSERT INTO inventory_outbox (sku) SELECT sku FROM u
       )
       SELECT * FROM u`,
      [sku, delta, reason, actorKeyId, boundTo ?? null],
    );
    if (!rows.length) {
      const cur = await this.getLevel(sku, manager, boundTo);
      if (!cur) throw notFound(`SKU ${sku}`);
      // on_hand always lies between reserved and MAX_QUANTITY, so a delta can only cross the bound it moves towards.
      if (delta > 0) {
        const max = MAX_QUANTITY - cur.onHand;
        throw new ProblemException(422, 'invalid-adjustment', `delta ${delta} would leave on-hand ${cur.onHand + delta}, above the maximum of ${MAX_QUANTITY} (largest allowed delta: ${max})`, {
          extensions: { errors: [{ field: 'delta', message: `must be at most ${max}` }], onHand: cur.onHand, reserved: cur.reserved },
        });
      }
      const min = cur.reserved - cur.onHand;
      throw new ProblemException(422, 'invalid-adjustment', `delta ${delta} would leave on-hand ${cur.onHand + delta}, below the ${cur.reserved} units reserved (smallest allowed delta: ${min})`, {
        extensions: { errors: [{ field: 'delta', message: `must be at least ${min}` }], onHand: cur.onHand, reserved: cur.reserved },
      });
    }
    this.signal.written(manager);
    return toLevel(rows[0]);
  }

  // ---- reads ----

  /** null for an unknown SKU, and for one a key bound to `boundTo` may not reach (see OFFERED_ON). */
  async getLevel(sku: string, manager: EntityManager = this.ds.manager, boundTo: ChannelBinding = null): Promise<StockLevel | null> {
    const [row] = await sql(
      manager,
      `SELECT sku, on_hand, reserved, updated_at FROM inventory_items i WHERE sku = $1 AND ${OFFERED_ON_IF_BOUND('i', '$2')}`,
      [sku, boundTo ?? null],
    );
    return row ? toLevel(row) : null;
  }

  async channelRule(channel: Channel): Promise<AllocationRule> {
    const [r] = await sql(this.ds, `SELECT safety_buffer, max_quantity, percentage FROM inventory_channel_rules WHERE channel = $1`, [channel]);
    return r ? { safetyBuffer: r.safety_buffer, maxQuantity: r.max_quantity, percentage: r.percentage } : { ...DEFAULT_ALLOCATION_RULE };
  }

  async channelRules(): Promise<Map<Channel, AllocationRule>> {
    const rows: { channel: Channel; safety_buffer: number; max_quantity: number | null; percentage: number }[] = await sql(this.ds, 
      `SELECT channel, safety_buffer, max_quantity, percentage FROM inventory_channel_rules`,
    );
    const map = new Map<Channel, AllocationRule>(CHANNELS.map((c) => [c, { ...DEFAULT_ALLOCATION_RULE }]));
    for (const r of rows) map.set(r.channel, { safetyBuffer: r.safety_buffer, maxQuantity: r.max_quantity, percentage: r.percentage });
    return map;
  }

  async setChannelRule(channel: Channel, rule: AllocationRule): Promise<void> {
    checkChannel(channel);
    checkQuantity('safetyBuffer', rule.safetyBuffer, 0);
    if (rule.maxQuantity !== null) checkQuantity('maxQuantity', rule.maxQuantity, 0);
    if (!Number.isInteger(rule.percentage) || rule.percentage < 0 || rule.percentage > 100) throw validationFailed([{ field: 'percentage', message: 'must be an integer from 0 to 100' }]);
    await this.ds.transaction(async (m) => {
      await sql(m, 
        `INSERT INTO inventory_channel_rules (channel, safety_buffer, max_quantity, percentage) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel) DO UPDATE SET safety_buffer = $2, max_quantity = $3, percentage = $4, updated_at = now()`,
        [channel, rule.safetyBuffer, rule.maxQuantity, rule.percentage],
      );
      // Every SKU on the channel may now need a different quantity.
      await sql(m, 
        // Locked in sku order, like every multi-row update of this table (no deadlock with the relay).
        `WITH locked AS (SELECT sku FROM inventory_channel_sync WHERE channel = $1 ORDER BY sku FOR UPDATE)
         UPDATE inventory_channel_sync s SET wanted_version = s.wanted_version + 1, dirty_since = COALESCE(s.dirty_since, now()),
                state = CASE WHEN s.state = 'paused' THEN s.state ELSE 'pending' END, updated_at = now()
           FROM locked l WHERE s.channel = $1 AND s.sku = l.sku`,
        [channel],
      );
    });
  }

  /**
   * The quantity the catalog should list `sku` with on `channel`, after that channel's allocation
   * rules; never above available. Calling it also starts tracking (channel, sku): from then on every
   * stock change is pushed there. The catalog calls it when it publishes, so only published SKUs sync.
   */
  async quantityToPublish(sku: string, channel: Channel): Promise<number> {
    checkChannel(channel);
    const level = await this.getLevel(sku);
    if (!level) throw notFound(`SKU ${sku}`);
    await this.trackChannel(sku, channel);
    const rule = await this.channelRule(channel);
    // Re-read after tracking: a change committed in between is then either in this answer or pushed.
    const fresh = (await this.getLevel(sku)) ?? level;
    return allocate(fresh.available, rule);
  }

  /**
   * The publisher's listing request carrying `sent` succeeded, so the channel now shows `sent`.
   * Stock may have moved after the publisher read it, and a sync push of the newer figure may even
   * have landed before the (slower) listing request and been overwritten by it: if the allocation
   * now differs from `sent`, queue an ordinary push so the channel does not keep the older figure.
   * Refusals before it (pushes to a listing that did not exist yet) no longer say anything: a
   * failed row goes back to the sweep's normal rhythm and its back-off starts over.
   */
  async confirmPublished(sku: string, channel: Channel, sent: number): Promise<void> {
    checkChannel(channel);
    const rows = await sql<{ available: number }>(
      this.ds,
      `UPDATE inventory_channel_sync s
          SET last_confirmed_quantity = $3, last_pushed_quantity = $3, last_synced_at = now(),
              state = CASE WHEN s.state IN ('pending', 'failed') AND s.wanted_version <= s.synced_version THEN 'synced'
                           WHEN s.state = 'failed' THEN 'pending' ELSE s.state END,
              refused_pushes = 0, retry_at = NULL,
              updated_at = now()
         FROM inventory_items i
        WHERE s.channel = $1 AND s.sku = $2 AND i.sku = s.sku
        RETURNING i.on_hand - i.reserved AS available`,
      [channel, sku, sent],
    );
    if (!rows.length) return;
    if (allocate(Number(rows[0].available), await this.channelRule(channel)) === sent) return;
    await sql(this.ds, `INSERT INTO inventory_outbox (sku) VALUES ($1)`, [sku]);
    this.signal.written(this.ds.manager);
  }

  /** Starts syncing `sku` to `channel` (idempotent). Clean on creation: the publisher sends the first quantity. */
  async trackChannel(sku: string, channel: Channel): Promise<void> {
    checkChannel(channel);
    await this.ds
      .query(
        `INSERT INTO inventory_channel_sync (channel, sku, state, wanted_version, synced_version, dirty_since) VALUES ($1, $2, 'pending', 0, 0, NULL)
         ON CONFLICT (channel, sku) DO NOTHING`,
        [channel, sku],
      )
      .catch((err) => this.translateFk(err, [sku]));
  }

  /** Stops syncing (the product was delisted from the channel). */
  async untrackChannel(sku: string, channel: Channel): Promise<void> {
    await sql(this.ds, `DELETE FROM inventory_channel_sync WHERE channel = $1 AND sku = $2`, [channel, sku]);
  }

  async channelStock(sku: string): Promise<ChannelStock[]> {
    const level = await this.getLevel(sku);
    if (!level) return [];
    const rules = await this.channelRules();
    const rows: Record<string, any>[] = await sql(this.ds, 
      `SELECT channel, state, last_confirmed_quantity, last_error, last_synced_at FROM inventory_channel_sync WHERE sku = $1 ORDER BY channel`,
      [sku],
    );
    return rows.map((r) => ({
      channel: r.channel,
      allocatedQuantity: allocate(level.available, rules.get(r.channel) ?? DEFAULT_ALLOCATION_RULE),
      lastConfirmedQuantity: r.last_confirmed_quantity,
      state: r.state,
      lastError: r.last_error,
      lastSyncedAt: r.last_synced_at ? new Date(r.last_synced_at).toISOString() : null,
    }));
  }

  /** Newest first; `cursor` is the opaque value from the previous page. */
  async movements(sku: string, cursor: string | undefined, limit: number): Promise<{ data: Movement[]; nextCursor: string | null }> {
    let before: string | null = null;
    if (cursor !== undefined) {
      const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
      // 18 digits at most: every value then fits Postgres bigint, so a forged cursor is a 400, not a 500.
      if (!/^m[0-9]{1,18}$/.test(decoded)) throw validationFailed([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
      before = decoded.slice(1);
    }
    const rows: Record<string, any>[] = await sql(this.ds, 
      `SELECT id, sku, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor_key_id, order_id, order_line_id, channel, created_at
         FROM inventory_movements WHERE sku = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
      [sku, before, limit + 1],
    );
    const data = rows.slice(0, limit).map((r) => ({
      id: String(r.id),
      sku: r.sku,
      kind: r.kind,
      onHandDelta: r.on_hand_delta,
      reservedDelta: r.reserved_delta,
      onHandAfter: r.on_hand_after,
      reservedAfter: r.reserved_after,
      reason: r.reason,
      actorKeyId: r.actor_key_id,
      orderId: r.order_id,
      orderLineId: r.order_line_id,
      channel: r.channel,
      createdAt: new Date(r.created_at).toISOString(),
    }));
    const nextCursor = rows.length > limit ? Buffer.from(`m${data[data.length - 1].id}`).toString('base64url') : null;
    return { data, nextCursor };
  }
}

function toLevel(r: { sku: string; on_hand: number; reserved: number; updated_at: string | Date }): StockLevel {
  return { sku: r.sku, onHand: r.on_hand, reserved: r.reserved, available: r.on_hand - r.reserved, updatedAt: new Date(r.updated_at).toISOString() };
}
