import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditService } from '@hub/core';
import type { RazorpayEvent } from '@hub/payments';
import { DataSource, EntityManager } from 'typeorm';
import { isPaid, onExpiry, onPayment, OrderStatus, signalOf, Transition } from './order-status';
import { linesOf, OrderRow } from './order-rows';
import { isInsufficientStock, OrderStock } from './ports/order-stock';

/**
 * Everything that moves an order after it was created: payment events, reservation expiry and
 * cancellation all go through `apply`, which runs one state-machine transition and its stock
 * effect inside the caller's transaction. Used by the api (webhooks, cancel) and the worker (expiry).
 */
/** Razorpay order ids remembered as paid (oldest forgotten first); only the planner's read fills it. */
const PAID_MEMORY = 50_000;
/** Outcomes of an event that itself made its order paid (or paid-out-of-stock). */
export const PAYING_OUTCOMES: ReadonlySet<string> = new Set(['order-paid', 'order-paid-re-reserved', 'order-paid-out-of-stock']);
/** Outcomes after which the event's order is paid or paid-out-of-stock (both absorbing). */
const PAID_OUTCOMES: ReadonlySet<string> = new Set([...PAYING_OUTCOMES, 'already-paid']);

/**
 * Why a captured payment cannot pay `order`, or null when it can: its amount (paise) and currency
 * must be the order's. A capture for another amount (a tampered checkout, a partial payment) or
 * another currency does not pay for the goods; one without a usable amount cannot be checked.
 */
function paymentMismatch(e: RazorpayEvent, order: OrderRow): 'invalid-amount' | 'amount-mismatch' | 'currency-mismatch' | null {
  if (e.amountInvalid) return 'invalid-amount';
  if (e.amount === null || BigInt(e.amount) !== BigInt(order.amount_minor)) return 'amount-mismatch';
  if (e.currency !== order.currency) return 'currency-mismatch';
  return null;
}

export interface ExpiringOrder {
  id: string;
  /** Becomes the order's status_reason. */
  why: string;
  audit?: { action: string; details: Record<string, unknown> };
}

@Injectable()
export class OrderLifecycle {
  private readonly logger = new Logger(OrderLifecycle.name);
  /**
   * Razorpay orders whose hub order was read as paid (or paid-out-of-stock) from committed data.
   * Paid is absorbing: no event, expiry or cancel ever moves such an order again, so this can
   * never be stale, on this instance or any other. The usual second event of a payment (captured
   * then order.paid, redeliveries) then needs no read at all on the webhook's fast path.
   */
  private readonly paidRzp = new Set<string>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly stock: OrderStock,
  ) {}

  /**
   * The effects of a batch of new Razorpay events, in arrival order, inside the webhook's
   * transaction (their event rows commit with them). Orders are read first without a lock: an
   * event that changes nothing for an order (a paid order is terminal, and nothing returns to
   * pending-payment) stays a no-op whatever runs concurrently. Only orders an event may move are
   * then locked, in id order, so a concurrent expiry, cancel or other batch waits and batches do
   * not deadlock on orders.
   */
  /**
   * The webhook's fast path: one unlocked read. Returns the outcomes when no event can move its
   * order, else null. Safe without a lock because every "no-op" here is final: paid orders are
   * terminal, a failure only acts on pending-payment (which nothing returns to), and an order that
   * is unknown now cannot become the target of a payment that was already made.
   */
  async planPaymentEvents(events: RazorpayEvent[]): Promise<string[] | null> {
    const wanted = [...new Set(events.filter((e) => signalOf(e.event) !== 'other' && e.razorpayOrderId).map((e) => e.razorpayOrderId!))].filter(
      (id) => !this.paidRzp.has(id),
    );
    const rows: Pick<OrderRow, 'razorpay_order_id' | 'status'>[] = wanted.length
      ? await this.ds.query(`SELECT razorpay_order_id, status FROM orders WHERE razorpay_order_id = ANY($1)`, [wanted])
      : [];
    const status = new Map(rows.map((r) => [r.razorpay_order_id!, r.status]));
    for (const r of rows) if (isPaid(r.status)) this.rememberPaid(r.razorpay_order_id!);
    for (const e of events) if (e.razorpayOrderId && this.paidRzp.has(e.razorpayOrderId) && !status.has(e.razorpayOrderId)) status.set(e.razorpayOrderId, 'paid');
    const outcomes: string[] = [];
    for (const e of events) {
      const signal = signalOf(e.event);
      const current = e.razorpayOrderId ? status.get(e.razorpayOrderId) : undefined;
      if (signal === 'other') outcomes.push('ignored');
      else if (!e.razorpayOrderId) outcomes.push('ignored-no-order');
      else if (!current) outcomes.push('ignored-unknown-order');
      else {
        const t = onPayment(current, signal);
        if (t.kind !== 'none') return null;
        outcomes.push(t.reason);
      }
    }
    return outcomes;
  }

  /** After the webhook's transaction committed: orders it paid (or found paid) are paid for good. */
  paymentEventsCommitted(events: RazorpayEvent[], outcomes: string[]): void {
    events.forEach((e, i) => {
      if (e.razorpayOrderId && PAID_OUTCOMES.has(outcomes[i])) this.rememberPaid(e.razorpayOrderId);
    });
  }

  private rememberPaid(razorpayOrderId: string): void {
    if (this.paidRzp.has(razorpayOrderId)) return;
    if (this.paidRzp.size >= PAID_MEMORY) this.paidRzp.delete(this.paidRzp.values().next().value!);
    this.paidRzp.add(razorpayOrderId);
  }

  async applyPaymentEvents(m: EntityManager, events: RazorpayEvent[]): Promise<string[]> {
    const relevant = events.filter((e) => signalOf(e.event) !== 'other' && e.razorpayOrderId);
    const wanted = [...new Set(relevant.map((e) => e.razorpayOrderId!))];
    const byRzp = new Map<string, OrderRow>();
    if (wanted.length) {
      const rows: OrderRow[] = await m.query(`SELECT * FROM orders WHERE razorpay_order_id = ANY($1)`, [wanted]);
      for (const r of rows) byRzp.set(r.razorpay_order_id!, r);
      const movable = rows.filter((r) => relevant.some((e) => e.razorpayOrderId === r.razorpay_order_id && onPayment(r.status, signalOf(e.event)).kind !== 'none'));
      if (movable.length) {
        const locked: OrderRow[] = await m.query(`SELECT * FROM orders WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [movable.map((r) => r.id)]);
        for (const r of locked) byRzp.set(r.razorpay_order_id!, { ...r, locked: true } as OrderRow);
      }
    }
    const outcomes: string[] = [];
    for (const e of events) {
      const signal = signalOf(e.event);
      const order = e.razorpayOrderId ? byRzp.get(e.razorpayOrderId) : undefined;
      if (signal === 'other') outcomes.push('ignored');
      else if (!e.razorpayOrderId) outcomes.push('ignored-no-order');
      else if (!order) outcomes.push('ignored-unknown-order');
      else {
        const t = onPayment(order.status, signal);
        if (t.kind !== 'none' && !(order as OrderRow & { locked?: boolean }).locked) throw new Error(`order ${order.id} would move without its lock`);
        const refused = t.kind !== 'none' && signal === 'capture' ? paymentMismatch(e, order) : null;
        const reconciled = e.source === 'reconciliation';
        if (refused) {
          // Stored with this outcome and acknowledged (Razorpay would redeliver the same body forever);
          // the order keeps waiting for a payment of its own amount, and an operator refunds this one.
          this.logger.warn(
            { orderId: order.id, eventId: e.id, event: e.event, outcome: refused, expected: { amount: order.amount_minor, currency: order.currency }, received: { amount: e.amount, currency: e.currency } },
            'razorpay payment does not match its order; not applied',
          );
          if (reconciled) await this.auditReconciled(m, order, e, refused);
          outcomes.push(refused);
          continue;
        }
        if (t.kind !== 'none' && signal === 'capture' && e.razorpayPaymentId && !order.razorpay_payment_id) {
          await m.query(`UPDATE orders SET razorpay_payment_id = $2 WHERE id = $1`, [order.id, e.razorpayPaymentId]);
          order.razorpay_payment_id = e.razorpayPaymentId;
        }
        // The reason says where the news came from: a paid order with no webhook behind it otherwise
        // looks like a bug to whoever reads it later.
        const why = reconciled ? `razorpay ${e.event}, found by asking Razorpay when the reservation expired (no webhook had arrived)` : `razorpay ${e.event}`;
        const outcome = await this.apply(m, order, t, why);
        if (reconciled && t.kind !== 'none') await this.auditReconciled(m, order, e, outcome);
        outcomes.push(outcome);
      }
    }
    return outcomes;
  }

  /** In the payment's transaction: the trail of a payment the hub found by asking Razorpay. */
  private async auditReconciled(m: EntityManager, order: OrderRow, e: RazorpayEvent, outcome: string): Promise<void> {
    await this.audit.record(
      { action: 'order.payment-reconciled', subjectType: 'order', subjectId: order.id, details: { razorpayOrderId: e.razorpayOrderId, razorpayPaymentId: e.razorpayPaymentId, eventId: e.id, outcome } },
      m,
    );
  }

  /**
   * Expires the given orders that are still waiting for payment, each with its own reason (and an
   * audit event when given), in one transaction; returns the ids it expired. The orders are locked
   * in id order (as the webhook locks them) and waited for, not skipped: whatever holds one (a
   * webhook paying it, a cancel) is a few statements long, and its result decides what expiry
   * does (nothing, for an order that is no longer pending-payment).
   */
  async expire(orders: ExpiringOrder[]): Promise<string[]> {
    if (!orders.length) return [];
    const byId = new Map(orders.map((o) => [o.id, o]));
    return this.ds.transaction(async (m) => {
      const locked: OrderRow[] = await m.query(`SELECT * FROM orders WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [[...byId.keys()]]);
      const expired: string[] = [];
      for (const order of locked) {
        const t = onExpiry(order.status);
        if (t.kind === 'none') continue;
        const { why, audit } = byId.get(order.id)!;
        await this.apply(m, order, t, why);
        if (audit) await this.audit.record({ ...audit, subjectType: 'order', subjectId: order.id }, m);
        expired.push(order.id);
      }
      return expired;
    });
  }

  async apply(m: EntityManager, order: OrderRow, t: Transition, why: string): Promise<string> {
    switch (t.kind) {
      case 'none':
        return t.reason;
      case 'commit':
        await this.stock.commitReservations(m, order.id);
        await this.setStatus(m, order, 'paid', why, true);
        return 'order-paid';
      case 'release':
        await this.stock.releaseReservations(m, order.id, t.to);
        await this.setStatus(m, order, t.to, why);
        return `order-${t.to}`;
      case 're-reserve': {
        const round = order.reservation_round + 1;
        const lines = (await linesOf(m, [order.id])).get(order.id) ?? [];
        // A savepoint, so a refused reservation leaves the transaction usable for recording the outcome.
        await m.query('SAVEPOINT re_reserve');
        try {
          // Durable, whatever INVENTORY_RESERVE_SYNCHRONOUS_COMMIT says (no allowAsyncCommit): our 200
          // ends Razorpay's deliveries, so a capture lost to a crash would never come back.
          await this.stock.reserve(m, {
            orderId: order.id,
            channel: order.channel,
            lines: lines.map((l) => ({ lineId: `${l.line_id}.r${round}`, sku: l.sku, quantity: l.quantity })),
          });
          await this.stock.commitReservations(m, order.id);
          await m.query('RELEASE SAVEPOINT re_reserve');
        } catch (err) {
          await m.query('ROLLBACK TO SAVEPOINT re_reserve');
          if (!isInsufficientStock(err)) throw err;
          const previous = order.status;
          await this.setStatus(m, order, t.otherwise, `${why} after the order was ${previous}; stock no longer available: refund due`, true, round);
          await this.audit.record({ action: 'order.paid-out-of-stock', subjectType: 'order', subjectId: order.id, details: { previous } }, m);
          this.logger.warn({ orderId: order.id, previous }, 'payment captured for an order whose stock is gone; refund due');
          return 'order-paid-out-of-stock';
        }
        await this.setStatus(m, order, 'paid', `${why} after the order was ${order.status}; stock re-reserved`, true, round);
        return 'order-paid-re-reserved';
      }
    }
  }

  /** Writes the new status and mirrors it on `order`, so later events of the same batch see it. */
  async setStatus(m: EntityManager, order: OrderRow, status: OrderStatus, reason: string, paid = false, round = order.reservation_round): Promise<void> {
    await m.query(
      `UPDATE orders SET status = $2, status_reason = $3, reservation_round = $4, updated_at = now() ${paid ? ', paid_at = COALESCE(paid_at, now())' : ''} WHERE id = $1`,
      [order.id, status, reason, round],
    );
    order.status = status;
    order.reservation_round = round;
  }

}
