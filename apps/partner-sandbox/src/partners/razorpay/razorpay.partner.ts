import { partnerFieldsFromEnv, PartnerFields } from '@hub/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyCommonFaults } from '../../faults/common-faults';
import { SandboxContext, SandboxPartner } from '../../sandbox-partner';
import { bodyObject, controlProblem } from '../shared/control-problem';
import { base62, basicAuth, safeEqual } from '../shared/ids';
import { authFailed, OrderInput, parseOrder, razorpayError, RazorpayValidationError, validationError, wireNotes } from './razorpay-wire';
import { DEFAULT_RETRY, RetryPolicy, WebhookDispatcher, WebhookEvent } from './webhook-dispatcher';

/** Used when the environment has no Razorpay credentials (same values as .env.example). */
const FALLBACK: PartnerFields['razorpay'] = { keyId: 'rzp_test_FakeKeyId0001', keySecret: 'fake_razorpay_key_secret_0001', webhookSecret: 'fake_razorpay_webhook_secret_0001' };

interface Order extends OrderInput {
  id: string;
  amount_paid: number;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  created_at: number;
}

interface Payment {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  status: 'authorized' | 'captured' | 'failed';
  method: string;
  email: string;
  contact: string;
  created_at: number;
}

/**
 * Razorpay stand-in: the Orders and Payments API (Basic auth, paise, Razorpay's entities and
 * errors), and a control call that settles an order and delivers the signed webhooks to the hub.
 */
export class RazorpayPartner implements SandboxPartner {
  readonly name = 'razorpay';
  private ctx!: SandboxContext;
  private creds!: PartnerFields['razorpay'];
  private webhookSecret!: string;
  private webhookTarget: string | undefined;
  private orders = new Map<string, Order>();
  private payments = new Map<string, Payment>();
  private events = new Map<string, WebhookEvent>();
  private dispatcher!: WebhookDispatcher;
  private dispatching = new Set<Promise<void>>();
  private readonly accountId = `acc_${base62(14)}`;

  constructor(private readonly now: () => number = () => Date.now()) {}

  state() {
    const orders: Record<string, unknown> = {};
    for (const o of this.orders.values()) orders[o.id] = this.orderEntity(o);
    const payments: Record<string, unknown> = {};
    for (const p of this.payments.values()) payments[p.id] = this.paymentEntity(p);
    return {
      orders,
      payments,
      deliveries: this.dispatcher.deliveries.map((d) => ({ ...d })),
      webhookTarget: this.target(),
      webhookRetry: { ...this.dispatcher.retry },
    };
  }

  reset(): void {
    this.creds = partnerFieldsFromEnv('razorpay') ?? FALLBACK;
    this.webhookSecret = this.creds.webhookSecret;
    this.webhookTarget = undefined;
    this.orders.clear();
    this.payments.clear();
    this.events.clear();
    this.dispatcher?.clear();
  }

  close(): void {
    this.dispatcher.cancelAll();
    this.ctx?.faults.clear(this.name);
  }

  /** Resolves once no webhook delivery is pending or about to start (tests). */
  async idle(): Promise<void> {
    while (this.dispatching.size) await Promise.allSettled([...this.dispatching]);
    await this.dispatcher.idle();
  }

  async register(app: FastifyInstance, ctx: SandboxContext): Promise<void> {
    this.ctx = ctx;
    this.dispatcher = new WebhookDispatcher(ctx.log);
    this.reset();
    await app.register(async (scope) => {
      scope.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
        if (err instanceof RazorpayValidationError) return validationError(reply, err);
        if (err.statusCode && err.statusCode < 500) return razorpayError(reply, err.statusCode, err.message);
        ctx.log.error({ err }, 'razorpay sandbox error');
        return razorpayError(reply, 500, 'The server encountered an error. The incident has been reported to admins.', { code: 'SERVER_ERROR' });
      });
      scope.addHook('preHandler', async (req, reply) => {
        const faulted = await applyCommonFaults(ctx.faults, this.name, req, reply, {
          rateLimited: (r, s) => razorpayError(r.header('retry-after', String(s)), 429, 'Too many requests'),
          serverError: (r, status) => razorpayError(r, status, 'The server encountered an error. The incident has been reported to admins.', { code: 'SERVER_ERROR' }),
        });
        if (faulted) return reply;
        const auth = basicAuth(req.headers.authorization);
        const ok = auth && safeEqual(auth.user, this.creds.keyId) && safeEqual(auth.pass, this.creds.keySecret);
        if (!ok || ctx.faults.take(this.name, 'reject-credentials', req.url)) return authFailed(reply);
      });

      scope.post('/v1/orders', (req, reply) => this.createOrder(req, reply));
      scope.get('/v1/orders', (req, reply) => this.listOrders(req, reply));
      scope.get('/v1/orders/:id', (req, reply) => {
        const o = this.orders.get((req.params as { id: string }).id);
        return o ? reply.send(this.orderEntity(o)) : notFound(reply);
      });
      scope.get('/v1/orders/:id/payments', (req, reply) => {
        const o = this.orders.get((req.params as { id: string }).id);
        if (!o) return notFound(reply);
        const items = [...this.payments.values()].filter((p) => p.orderId === o.id).map((p) => this.paymentEntity(p));
        return reply.send({ entity: 'collection', count: items.length, items });
      });
      scope.get('/v1/payments/:id', (req, reply) => {
        const p = this.payments.get((req.params as { id: string }).id);
        return p ? reply.send(this.paymentEntity(p)) : notFound(reply);
      });
    });
    this.registerControls(app);
  }

  private createOrder(req: FastifyRequest, reply: FastifyReply) {
    const input = parseOrder(req.body);
    const order: Order = { ...input, id: `order_${base62(14)}`, amount_paid: 0, status: 'created', attempts: 0, created_at: this.unix() };
    this.orders.set(order.id, order);
    return reply.send(this.orderEntity(order));
  }

  private listOrders(req: FastifyRequest, reply: FastifyReply) {
    const q = req.query as Record<string, string | undefined>;
    const int = (k: string, def: number, min: number, max: number) => {
      if (q[k] === undefined) return def;
      const n = Number(q[k]);
      if (!Number.isInteger(n) || n < min || n > max) throw new RazorpayValidationError(k, `The ${k} must be between ${min} and ${max}.`);
      return n;
    };
    const count = int('count', 10, 1, 100);
    const skip = int('skip', 0, 0, Number.MAX_SAFE_INTEGER);
    const from = int('from', 0, 0, Number.MAX_SAFE_INTEGER);
    const to = int('to', Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER);
    const items = [...this.orders.values()]
      .filter((o) => o.created_at >= from && o.created_at <= to && (q.receipt === undefined || o.receipt === q.receipt))
      .reverse()
      .slice(skip, skip + count)
      .map((o) => this.orderEntity(o));
    return reply.send({ entity: 'collection', count: items.length, items });
  }

  // --- Controls: settle an order, webhook target / secret / retry policy -------------------

  private registerControls(app: FastifyInstance): void {
    app.post('/_sandbox/razorpay/orders/:orderId/pay', async (req, reply) => {
      const order = this.orders.get((req.params as { orderId: string }).orderId);
      if (!order) return controlProblem(reply, 404, 'no such Razorpay order', 'orderId');
      const b = bodyObject(req.body);
      const outcome = b?.outcome;
      if (outcome !== 'captured' && outcome !== 'failed' && outcome !== 'authorized') return controlProblem(reply, 400, 'outcome must be "captured", "authorized" or "failed"', 'outcome');
      if (b?.method !== undefined && !['upi', 'card', 'netbanking', 'wallet'].includes(b.method as string)) {
        return controlProblem(reply, 400, 'method must be one of upi, card, netbanking, wallet', 'method');
      }
      if (order.status === 'paid') return controlProblem(reply, 409, `order ${order.id} is already paid`);
      const events = this.settle(order, outcome, (b?.method as string | undefined) ?? 'upi');
      const payment = this.payments.get(events[0].paymentId)!;
      // Delivery runs in the background, as Razorpay's does; state().deliveries shows its progress.
      const dispatching = this.dispatch(events)
        .catch((err) => this.ctx.log.error({ err }, 'razorpay webhook dispatch failed'))
        .finally(() => this.dispatching.delete(dispatching));
      this.dispatching.add(dispatching);
      return reply.status(201).send({ payment: this.paymentEntity(payment), order: this.orderEntity(order), events: events.map((e) => ({ eventId: e.eventId, event: e.event })) });
    });

    app.post('/_sandbox/razorpay/events/:eventId/redeliver', async (req, reply) => {
      const event = this.events.get((req.params as { eventId: string }).eventId);
      if (!event) return controlProblem(reply, 404, 'no such event', 'eventId');
      const copy = this.dispatcher.deliveries.filter((d) => d.eventId === event.eventId).length;
      await this.dispatcher.deliver(event, copy, this.dispatchOptions());
      return reply.status(202).send({ eventId: event.eventId, copy });
    });

    app.post('/_sandbox/razorpay/webhook-target', async (req, reply) => {
      const url = bodyObject(req.body)?.url;
      if (url === null) {
        this.webhookTarget = undefined;
        return { url: this.target() };
      }
      if (typeof url !== 'string' || !/^https?:\/\//.test(url) || !URL.canParse(url)) return controlProblem(reply, 400, 'url must be an http(s) URL (or null for the default)', 'url');
      this.webhookTarget = url;
      return { url };
    });

    app.post('/_sandbox/razorpay/webhook-secret', async (req, reply) => {
      const secret = bodyObject(req.body)?.secret;
      if (typeof secret !== 'string' || secret.length < 8 || secret.length > 256) return controlProblem(reply, 400, 'secret must be a string of 8-256 characters', 'secret');
      this.webhookSecret = secret;
      // The secret itself is never echoed back.
      return { updated: true };
    });

    app.post('/_sandbox/razorpay/webhook-retry', async (req, reply) => {
      const b = bodyObject(req.body);
      if (!b) return controlProblem(reply, 400, 'body must be a JSON object');
      const next: RetryPolicy = { ...this.dispatcher.retry };
      const limits: Record<keyof RetryPolicy, [number, number]> = { maxAttempts: [1, 50], baseDelayMs: [0, 600_000], maxDelayMs: [0, 3_600_000], timeoutMs: [10, 60_000] };
      for (const k of Object.keys(DEFAULT_RETRY) as (keyof RetryPolicy)[]) {
        if (b[k] === undefined) continue;
        const [min, max] = limits[k];
        if (!Number.isInteger(b[k]) || (b[k] as number) < min || (b[k] as number) > max) return controlProblem(reply, 400, `${k} must be an integer from ${min} to ${max}`, k);
        next[k] = b[k] as number;
      }
      this.dispatcher.retry = next;
      return next;
    });
  }

  /**
   * Applies the payment outcome to the order and returns the webhook events Razorpay would send, in
   * order. `authorized` is a payment left uncaptured (manual capture, or auto-capture not yet run):
   * Razorpay then shows the payment `authorized` and the order `attempted`, and sends only
   * `payment.authorized`.
   */
  private settle(order: Order, outcome: 'captured' | 'authorized' | 'failed', method: string): WebhookEvent[] {
    const payment: Payment = {
      id: `pay_${base62(14)}`,
      orderId: order.id,
      amount: order.amount - order.amount_paid,
      currency: order.currency,
      status: outcome === 'failed' ? 'failed' : 'authorized',
      method,
      email: 'void@razorpay.com',
      contact: '+919000090000',
      created_at: this.unix(),
    };
    this.payments.set(payment.id, payment);
    order.attempts += 1;
    const events: WebhookEvent[] = [];
    const add = (event: string, payload: Record<string, unknown>) => {
      const body = JSON.stringify({ entity: 'event', account_id: this.accountId, event, contains: Object.keys(payload), payload, created_at: this.unix() });
      const e = { eventId: `evt_${base62(14)}`, event, orderId: order.id, paymentId: payment.id, body };
      this.events.set(e.eventId, e);
      events.push(e);
    };
    if (outcome === 'failed') {
      order.status = 'attempted';
      add('payment.failed', { payment: { entity: this.paymentEntity(payment) } });
      return events;
    }
    add('payment.authorized', { payment: { entity: this.paymentEntity(payment) } });
    if (outcome === 'authorized') {
      order.status = 'attempted';
      return events;
    }
    payment.status = 'captured';
    order.amount_paid = order.amount;
    order.status = 'paid';
    add('payment.captured', { payment: { entity: this.paymentEntity(payment) } });
    add('order.paid', { payment: { entity: this.paymentEntity(payment) }, order: { entity: this.orderEntity(order) } });
    return events;
  }

  /**
   * Starts delivering one payment's events: in order, each after the previous one's first attempt,
   * unless the `reorder` fault reverses or shuffles them; `duplicate-delivery` adds concurrent copies.
   */
  private async dispatch(events: WebhookEvent[]): Promise<void> {
    const reorder = this.ctx.faults.take(this.name, 'reorder');
    const duplicate = this.ctx.faults.take(this.name, 'duplicate-delivery');
    let ordered = [...events];
    if (reorder) ordered = reorder.mode === 'shuffle' ? shuffle(ordered) : ordered.reverse();
    const extra = duplicate ? (Number.isInteger(duplicate.times) && (duplicate.times as number) > 0 ? (duplicate.times as number) : 1) : 0;
    const opts = this.dispatchOptions();
    for (const e of ordered) {
      const firstAttempts = Array.from({ length: 1 + extra }, (_, copy) => this.dispatcher.deliver(e, copy, opts));
      await Promise.all(firstAttempts);
    }
  }

  private dispatchOptions() {
    return {
      url: this.target(),
      secret: () => this.webhookSecret,
      badSignature: () => !!this.ctx.faults.take(this.name, 'bad-signature'),
    };
  }

  private target(): string {
    return this.webhookTarget ?? `${this.ctx.config.SANDBOX_HUB_URL.replace(/\/$/, '')}/v1/webhooks/razorpay`;
  }

  private orderEntity(o: Order) {
    return {
      id: o.id,
      entity: 'order',
      amount: o.amount,
      amount_paid: o.amount_paid,
      amount_due: o.amount - o.amount_paid,
      currency: o.currency,
      receipt: o.receipt,
      offer_id: null,
      status: o.status,
      attempts: o.attempts,
      notes: wireNotes(o.notes),
      created_at: o.created_at,
    };
  }

  private paymentEntity(p: Payment) {
    const order = this.orders.get(p.orderId);
    const captured = p.status === 'captured';
    const failed = p.status === 'failed';
    const fee = captured ? Math.round(p.amount * 0.0236) : null;
    return {
      id: p.id,
      entity: 'payment',
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      order_id: p.orderId,
      invoice_id: null,
      international: false,
      method: p.method,
      amount_refunded: 0,
      refund_status: null,
      captured,
      description: order?.receipt ? `Payment for ${order.receipt}` : null,
      card_id: null,
      bank: p.method === 'netbanking' ? 'HDFC' : null,
      wallet: p.method === 'wallet' ? 'paytm' : null,
      vpa: p.method === 'upi' ? (failed ? 'failure@razorpay' : 'success@razorpay') : null,
      email: p.email,
      contact: p.contact,
      notes: wireNotes(order?.notes ?? {}),
      fee,
      tax: fee === null ? null : Math.round((fee * 18) / 118),
      error_code: failed ? 'BAD_REQUEST_ERROR' : null,
      error_description: failed ? "Your payment didn't go through as it was declined by the bank. Try another payment method or contact your bank." : null,
      error_source: failed ? 'bank' : null,
      error_step: failed ? 'payment_authorization' : null,
      error_reason: failed ? 'payment_failed' : null,
      acquirer_data: p.method === 'upi' && !failed ? { rrn: String(100000000000 + (p.created_at % 899999999999)) } : {},
      created_at: p.created_at,
    };
  }

  private unix(): number {
    return Math.floor(this.now() / 1000);
  }
}

const notFound = (reply: FastifyReply) => razorpayError(reply, 400, 'The id provided does not exist', { source: 'business', step: 'NA', reason: 'input_validation_failed' });

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  // A shuffle that happens to keep the order would not exercise out-of-order handling.
  return a.every((x, i) => x === items[i]) && a.length > 1 ? a.reverse() : a;
}
