import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CredentialRejectedError, MetricsService, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import { CALL_BOUND_SLACK_MS, PaymentsConfig, RazorpayGateway, RazorpayPayment, RazorpayWebhookService, reconciledCaptureEvent } from '@hub/payments';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { ExpiringOrder, OrderLifecycle, PAYING_OUTCOMES } from '../order-lifecycle.service';
import { OrdersConfig } from '../orders.config';

/** Orders claimed per round: each may cost one Razorpay call, so fewer than the old 100. */
const BATCH = 50;
/** Razorpay calls in flight at once per worker. */
const CONCURRENCY = 8;
/** After Razorpay could not be asked about an order, ask again this much later (capped by its last chance). */
const RETRY_AFTER_S = 60;
/**
 * The longest an order is held past its TTL while Razorpay cannot be asked: one more TTL, and at
 * most this. Bounded, so an outage never strands stock; derived from the TTL, so a shop that chose
 * a short hold (flash sales) does not get a much longer one back.
 */
const MAX_EXTRA_HOLD_S = 900;

type Result = 'paid' | 'no-payment' | 'authorized-only' | 'capture-not-applied' | 'no-razorpay-order' | 'deferred' | 'expired-unconfirmed' | 'settled-meanwhile';

interface Claimed {
  id: string;
  razorpay_order_id: string | null;
  /** The extra hold is used up: if Razorpay cannot be asked now, expire anyway. */
  last_chance: boolean;
}

type Check = { kind: 'answered'; payments: RazorpayPayment[] } | { kind: 'unknown'; reason: string };

export interface SweepResult {
  expired: number;
  /** Paid from a capture found at Razorpay (its webhook had not arrived). */
  paid: number;
  /** Kept for a later sweep because Razorpay could not be asked. */
  deferred: number;
}

/** Errors that say Razorpay (or our access to it) is down, not that this one order is odd. */
function outage(err: unknown): boolean {
  return err instanceof PartnerUnavailableError || err instanceof RateLimitedError || err instanceof CredentialRejectedError;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * The worker's expiry sweep. Before an unpaid storefront reservation is released, Razorpay is asked
 * for the order's payments (Razorpay's own advice: a webhook can be lost for good, and the customer
 * may have paid). Three short steps per round, so no row lock is ever held across a partner call:
 *
 * 1. claim: one statement picks due orders with SKIP LOCKED and stamps `payment_check_after`
 *    (a lease), so other workers skip them while this one asks;
 * 2. ask Razorpay, with no transaction open, a few calls at a time, each bounded;
 * 3. apply: a captured payment through the webhook's own store-and-apply path (one transaction,
 *    event rows included); then expire what is still unpaid (one transaction); or, when Razorpay
 *    could not be asked, put the order off (one statement) until its bounded extra hold is used up.
 *
 * A worker that dies between the steps leaves its orders claimed until the lease ends; the next
 * sweep then takes them again. Asking twice is harmless: applying is exactly-once.
 */
@Injectable()
export class ReservationExpiry {
  private readonly logger = new Logger(ReservationExpiry.name);
  private readonly checks: Counter<'result'>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly cfg: OrdersConfig,
    private readonly paymentsCfg: PaymentsConfig,
    private readonly lifecycle: OrderLifecycle,
    private readonly razorpay: RazorpayGateway,
    private readonly payments: RazorpayWebhookService,
    metrics: MetricsService,
  ) {
    this.checks = metrics.counter('order_expiry_checks_total', 'Due storefront reservations by what the expiry sweep found at Razorpay and did', ['result']);
  }

  /** Extra seconds an order may be held while Razorpay cannot be asked. */
  get extraHoldSeconds(): number {
    return Math.min(this.cfg.ORDER_RESERVATION_TTL_SECONDS, MAX_EXTRA_HOLD_S);
  }

  async sweep(): Promise<SweepResult> {
    const total: SweepResult = { expired: 0, paid: 0, deferred: 0 };
    // Once Razorpay looks down, the rest of this sweep does not call it: an outage costs a few
    // timed-out calls per sweep, not one per due order.
    const circuit = { reason: null as string | null };
    for (;;) {
      const claimed = await this.claim();
      if (!claimed.length) break;
      const r = await this.settle(claimed, await this.ask(claimed, circuit));
      total.expired += r.expired;
      total.paid += r.paid;
      total.deferred += r.deferred;
      // Deferred and settled orders are not due again in this sweep, so this ends.
      if (claimed.length < BATCH) break;
    }
    return total;
  }

  /**
   * Due orders, claimed for as long as asking Razorpay about a whole batch can take. The row locks
   * last one statement; SKIP LOCKED lets several workers (and webhooks) go on without waiting.
   */
  private async claim(): Promise<Claimed[]> {
    const timeoutS = Math.ceil((this.paymentsCfg.RAZORPAY_TIMEOUT_MS + CALL_BOUND_SLACK_MS) / 1000);
    const leaseS = 60 + Math.ceil(BATCH / CONCURRENCY) * timeoutS;
    // Ends in a SELECT: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].
    return this.ds.query(
      `WITH due AS (
         SELECT id FROM orders
         WHERE status = 'pending-payment' AND COALESCE(payment_check_after, reservation_expires_at) <= now()
         ORDER BY COALESCE(payment_check_after, reservation_expires_at) LIMIT $1 FOR UPDATE SKIP LOCKED)
       , claimed AS (
         UPDATE orders o SET payment_check_after = now() + make_interval(secs => $2)
         FROM due WHERE o.id = due.id
         RETURNING o.id, o.razorpay_order_id, o.reservation_expires_at + make_interval(secs => $3) <= now() AS last_chance)
       SELECT * FROM claimed`,
      [BATCH, leaseS, this.extraHoldSeconds],
    );
  }

  /** Each claimed order's payments at Razorpay, or why they could not be read. No transaction is open here. */
  private async ask(orders: Claimed[], circuit: { reason: string | null }): Promise<Map<string, Check>> {
    const out = new Map<string, Check>();
    const queue = orders.filter((o) => o.razorpay_order_id);
    let next = 0;
    const lane = async () => {
      while (next < queue.length) {
        const o = queue[next++];
        if (circuit.reason) {
          out.set(o.id, { kind: 'unknown', reason: circuit.reason });
          continue;
        }
        try {
          // Bounded by the gateway (credential read included): a hung call is a PartnerUnavailableError.
          out.set(o.id, { kind: 'answered', payments: await this.razorpay.fetchOrderPayments(o.razorpay_order_id!) });
        } catch (err) {
          const reason = errorText(err);
          if (outage(err) && !circuit.reason) {
            circuit.reason = reason;
            this.logger.warn({ err: reason }, 'razorpay unreachable; due reservations are kept for a later sweep (bounded)');
          }
          out.set(o.id, { kind: 'unknown', reason });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, lane));
    return out;
  }

  private async settle(claimed: Claimed[], checks: Map<string, Check>): Promise<SweepResult> {
    const results = new Map<string, Result>();
    const expiring: ExpiringOrder[] = [];
    const deferred: Claimed[] = [];
    const captures: { order: Claimed; payment: RazorpayPayment }[] = [];

    for (const o of claimed) {
      if (!o.razorpay_order_id) {
        results.set(o.id, 'no-razorpay-order');
        expiring.push({ id: o.id, why: 'reservation expired' });
        continue;
      }
      // `ask` answers for every order with a Razorpay order id.
      const check = checks.get(o.id)!;
      if (check.kind === 'unknown') {
        if (!o.last_chance) {
          results.set(o.id, 'deferred');
          deferred.push(o);
          continue;
        }
        results.set(o.id, 'expired-unconfirmed');
        expiring.push({
          id: o.id,
          why: `reservation expired; Razorpay could not be asked about its payment (${check.reason}), so the hold was released unconfirmed`,
          audit: { action: 'order.expired-unconfirmed', details: { razorpayOrderId: o.razorpay_order_id, reason: check.reason } },
        });
      } else {
        const captured = check.payments.filter((p) => p.status === 'captured');
        const authorized = check.payments.filter((p) => p.status === 'authorized');
        if (captured.length) {
          for (const payment of captured) captures.push({ order: o, payment });
          continue;
        }
        // Authorized only: what the webhook does with payment.authorized, i.e. nothing. A capture
        // that comes later takes the stock again (or surfaces the order for a refund).
        results.set(o.id, authorized.length ? 'authorized-only' : 'no-payment');
        const why = authorized.length ? `reservation expired; Razorpay payment ${authorized.map((p) => p.id).join(', ')} authorized, not captured` : 'reservation expired';
        expiring.push({ id: o.id, why });
      }
    }

    let paid = 0;
    if (captures.length) {
      const receipts = await this.payments.applyReconciled(captures.map((c) => reconciledCaptureEvent(c.payment)));
      const paidNow = new Set<string>();
      receipts.forEach((r, i) => {
        if (r.status === 'processed' && PAYING_OUTCOMES.has(r.outcome ?? '')) paidNow.add(captures[i].order.id);
      });
      for (const { order, payment } of captures) {
        if (results.has(order.id)) continue;
        if (paidNow.has(order.id)) {
          results.set(order.id, 'paid');
          paid++;
          // A warning: the webhook that should have done this never came (endpoint down, secret wrong).
          this.logger.warn({ orderId: order.id, razorpayOrderId: order.razorpay_order_id, paymentId: payment.id }, 'payment found at Razorpay before releasing the reservation; order paid without its webhook');
        } else {
          // Already paid by a webhook meanwhile, or a capture that cannot pay this order (amount,
          // currency): expiry decides under the lock, and leaves a paid order alone.
          results.set(order.id, 'capture-not-applied');
          expiring.push({ id: order.id, why: `reservation expired; Razorpay payment ${payment.id} was captured but could not pay this order (see its razorpay event)` });
        }
      }
    }

    const expired = new Set(await this.lifecycle.expire(expiring));
    for (const e of expiring) {
      // Paid by a webhook or cancelled while we asked: expiry left it alone.
      if (!expired.has(e.id)) results.set(e.id, 'settled-meanwhile');
      else if (results.get(e.id) === 'expired-unconfirmed') {
        const o = claimed.find((c) => c.id === e.id)!;
        this.logger.warn({ orderId: o.id, razorpayOrderId: o.razorpay_order_id, err: (checks.get(o.id) as { reason: string }).reason }, 'reservation released without word from Razorpay; check its payments there');
      }
    }

    if (deferred.length) {
      // Ask again later, and at the latest when the extra hold ends (that check is the last chance).
      await this.ds.query(
        `UPDATE orders SET payment_check_after = LEAST(now() + make_interval(secs => $2), reservation_expires_at + make_interval(secs => $3)),
           status_reason = $4, updated_at = now()
         WHERE id = ANY($1) AND status = 'pending-payment'`,
        [deferred.map((o) => o.id), RETRY_AFTER_S, this.extraHoldSeconds, 'reservation due; payment status unknown (Razorpay unreachable), hold kept until Razorpay answers or the extra hold ends'],
      );
    }
    for (const r of results.values()) this.checks.inc({ result: r });
    return { expired: expired.size, paid, deferred: deferred.length };
  }
}
