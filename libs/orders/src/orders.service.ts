import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  afterTimeCursor,
  assertChannelAllowed,
  AuditService,
  AuthContext,
  canTouchChannel,
  Channel,
  CredentialRejectedError,
  CURSOR_AT,
  decodeTimeCursor,
  encodeTimeCursor,
  IdempotencyService,
  IdempotentResult,
  notFound,
  PartnerUnavailableError,
  ProblemException,
  RequestOrigin,
  RateLimitedError,
  validationFailed,
} from '@hub/core';
import { RazorpayCredentialUnavailableError, RazorpayGateway, RazorpayOrder, RazorpayRequestError } from '@hub/payments';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQuery } from './dto/list-orders.query';
import { OrderPage, OrderView } from './dto/order.view';
import { toMinorUnits } from './money';
import { onCancel } from './order-status';
import { OrderLifecycle } from './order-lifecycle.service';
import { linesOf, lockOrder, OrderRow, readOrderView, toView } from './order-rows';
import { OrdersConfig } from './orders.config';
import { CatalogPrice, OrderCatalog } from './ports/order-catalog';
import { OrderStock, StockLine } from './ports/order-stock';

const MARKETPLACES: readonly Channel[] = ['amazon', 'nykaa'];
const CREATE_SCOPE = 'orders.create';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function duplicateOrder(channel: Channel, externalId: string, orderId: string | undefined): ProblemException {
  return new ProblemException(409, 'duplicate-order', `A ${channel} order with externalId ${externalId} already exists`, {
    extensions: { orderId: orderId ?? null, errors: [{ field: 'externalId', message: 'already used for this channel' }] },
  });
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly cfg: OrdersConfig,
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
    private readonly stock: OrderStock,
    private readonly catalog: OrderCatalog,
    private readonly razorpay: RazorpayGateway,
    private readonly lifecycle: OrderLifecycle,
  ) {}

  /**
   * Creates an order and holds (storefront) or takes (marketplaces) its stock. The Razorpay order
   * is created first, outside any transaction, so no row lock waits on a partner call; the
   * reservation, the order rows and the idempotency record then commit in one transaction. If that
   * transaction fails (say, insufficient stock) nothing was reserved and the Razorpay order is left
   * unpaid, which costs nothing and expires on Razorpay's side. So a reservation never exists
   * without its order, and an order never without its Razorpay order.
   */
  async create(auth: AuthContext | undefined, idempotencyKey: string | undefined, dto: CreateOrderDto, origin?: RequestOrigin): Promise<IdempotentResult<OrderView>> {
    IdempotencyService.requireKey(idempotencyKey);
    assertChannelAllowed(auth, dto.channel);
    const actor = auth?.keyId ?? 'anonymous';
    const seen = dto.items.map((i) => i.sku);
    const dupes = dto.items.flatMap((it, i) => (seen.indexOf(it.sku) !== i ? [{ field: `items.${i}.sku`, message: `${it.sku} appears on more than one line; put the total quantity on one line` }] : []));
    if (dupes.length) throw validationFailed(dupes);

    const request = { actor, scope: CREATE_SCOPE, key: idempotencyKey, fingerprint: dto };
    // A retry of a request we already answered replays it (or gets 422 for another body) without
    // pricing again or creating a second Razorpay order.
    const [known] = await this.ds.query(`SELECT 1 FROM idempotency_records WHERE actor = $1 AND scope = $2 AND key = $3`, [actor, CREATE_SCOPE, idempotencyKey]);
    if (known) {
      return this.idempotency.execute<OrderView>(request, async () => {
        // Only reached if the earlier attempt rolled back between our look and now.
        throw new ProblemException(409, 'idempotency-key-in-use', 'A request with this Idempotency-Key was just being processed; retry it');
      });
    }

    if (dto.externalId) {
      // Saves pricing and a Razorpay order for the common sequential duplicate; the INSERT below
      // is what decides when two requests race.
      const [dup] = await this.ds.query(`SELECT id FROM orders WHERE channel = $1 AND external_id = $2`, [dto.channel, dto.externalId]);
      if (dup) throw duplicateOrder(dto.channel, dto.externalId, dup.id);
    }
    const priced = await this.priceLines(dto, auth);
    const orderId = randomUUID();
    const rzp: RazorpayOrder | null = dto.channel === 'storefront' ? await this.createRazorpayOrder(orderId, priced.amountMinor, priced.currency) : null;

    return this.idempotency.execute(request, async (m) => {
      const marketplace = MARKETPLACES.includes(dto.channel);
      const expiresAt = marketplace ? null : new Date(Date.now() + this.cfg.ORDER_RESERVATION_TTL_SECONDS * 1000);
      // The unique index on (channel, external_id) is the duplicate check: a concurrent insert of
      // the same externalId waits here for the other transaction and then inserts nothing (if that
      // one committed), so the loser gets 409 before reserving anything instead of a 23505.
      const inserted: unknown[] = await m.query(
        `INSERT INTO orders (id, channel, external_id, status, currency, amount_minor, razorpay_order_id, customer, actor_key_id, reservation_expires_at, paid_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (channel, external_id) WHERE external_id IS NOT NULL DO NOTHING
         RETURNING id`,
        [orderId, dto.channel, dto.externalId ?? null, marketplace ? 'paid' : 'pending-payment', priced.currency, priced.amountMinor, rzp?.id ?? null,
          dto.customer ? JSON.stringify(dto.customer) : null, auth?.keyId ?? null, expiresAt, marketplace ? new Date() : null],
      );
      if (!inserted.length) {
        // READ COMMITTED: this new statement sees the row of the transaction we waited for.
        const [dup] = await m.query(`SELECT id FROM orders WHERE channel = $1 AND external_id = $2`, [dto.channel, dto.externalId]);
        throw duplicateOrder(dto.channel, dto.externalId!, dup?.id);
      }
      const lines: StockLine[] = [];
      for (const [i, item] of dto.items.entries()) {
        const lineId = `${orderId}.${i + 1}`;
        lines.push({ lineId, sku: item.sku, quantity: item.quantity });
        await m.query(`INSERT INTO order_lines (order_id, line_no, line_id, sku, quantity, unit_price) VALUES ($1, $2, $3, $4, $5, $6)`, [
          orderId, i + 1, lineId, item.sku, item.quantity, priced.prices.get(item.sku)!.price,
        ]);
      }
      await this.audit.record({ action: 'order.created', actorKeyId: auth?.keyId, requestId: origin?.requestId, ip: origin?.ip, subjectType: 'order', subjectId: orderId, details: { channel: dto.channel, lines: lines.length } }, m);
      // The view reads only the order's own rows. Stock goes last: a hot SKU's row then stays locked
      // from the reservation to COMMIT only, not through the statements above (a refusal still
      // rolls all of them back).
      const view = await readOrderView(m, orderId);
      // allowAsyncCommit: INVENTORY_RESERVE_SYNCHRONOUS_COMMIT=off is meant for this path (flash
      // sales), where a crash loses the new order and its stock together; never for the webhook's.
      if (marketplace) {
        await this.stock.sellDirect(m, { orderId, channel: dto.channel, lines, actorKeyId: auth?.keyId, allowAsyncCommit: true });
      } else {
        // expiresAt is informative for the ledger; the orders sweep (not inventory) releases on expiry.
        await this.stock.reserve(m, { orderId, channel: dto.channel, lines, actorKeyId: auth?.keyId, expiresAt: expiresAt!, allowAsyncCommit: true });
      }
      return { status: 201, body: view };
    });
  }

  async get(auth: AuthContext | undefined, id: string): Promise<OrderView> {
    const order = await readOrderView(this.ds.manager, id);
    if (!canTouchChannel(auth, order.channel)) throw notFound(`Order ${id}`);
    return order;
  }

  async list(auth: AuthContext | undefined, q: ListOrdersQuery): Promise<OrderPage> {
    if (q.channel) assertChannelAllowed(auth, q.channel);
    const limit = q.limit ?? 50;
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => (args.push(v), `$${args.length}`);
    if (q.status) where.push(`status = ${arg(q.status)}`);
    if (q.channel) where.push(`channel = ${arg(q.channel)}`);
    if (auth?.channels) where.push(`channel = ANY(${arg(auth.channels)})`);
    if (q.cursor) where.push(afterTimeCursor(decodeTimeCursor(q.cursor, UUID), arg, 'id', 'uuid'));
    const rows: (OrderRow & { cursor_at: string })[] = await this.ds.query(
      `SELECT *, ${CURSOR_AT} AS cursor_at FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${arg(limit + 1)}`,
      args,
    );
    const page = rows.slice(0, limit);
    const lines = await linesOf(this.ds.manager, page.map((r) => r.id));
    const last = page[page.length - 1];
    return {
      data: page.map((r) => toView(r, lines.get(r.id) ?? [])),
      nextCursor: rows.length > limit ? encodeTimeCursor(last.cursor_at, last.id) : null,
    };
  }

  /** Releases the held stock of an unpaid order. Cancelling a cancelled order is a no-op (200). */
  async cancel(auth: AuthContext | undefined, id: string, reason: string | undefined, origin?: RequestOrigin): Promise<OrderView> {
    return this.ds.transaction(async (m) => {
      const order = await lockOrder(m, id);
      if (!order || !canTouchChannel(auth, order.channel)) throw notFound(`Order ${id}`);
      // From here on the row's canonical id: reservations key on its text, so an upper-case spelling
      // of the same uuid (which Postgres matched above) would release nothing.
      const orderId = order.id;
      if (order.status === 'cancelled') return readOrderView(m, orderId);
      const t = onCancel(order.status);
      if (t.kind !== 'release') {
        throw new ProblemException(409, 'order-not-cancellable', `Order ${orderId} is ${order.status}; only an order waiting for payment can be cancelled (refund paid orders instead)`, {
          extensions: { orderStatus: order.status },
        });
      }
      await this.stock.releaseReservations(m, orderId, 'cancelled', auth?.keyId);
      await this.lifecycle.setStatus(m, order, t.to, reason ?? 'cancelled by API');
      await this.audit.record({ action: 'order.cancelled', actorKeyId: auth?.keyId, requestId: origin?.requestId, ip: origin?.ip, subjectType: 'order', subjectId: orderId, details: { reason: reason ?? null } }, m);
      return readOrderView(m, orderId);
    });
  }

  private async priceLines(dto: CreateOrderDto, auth: AuthContext | undefined): Promise<{ prices: Map<string, CatalogPrice>; amountMinor: number; currency: string }> {
    const prices = await this.catalog.prices(dto.items.map((i) => i.sku));
    // A key bound to channels only touches its channels' products (CONTRACT "API keys"): for it a product
    // not sold on the order's channel does not exist, with the very answer an unknown SKU gets, so it can
    // neither sell another channel's product nor learn from the refusal that the SKU exists. Unbound keys
    // keep full access (an admin may record any order, like Shopify's draft orders).
    const offered = (sku: string) => {
      const p = prices.get(sku);
      return !!p && (!auth?.channels || p.channels.includes(dto.channel));
    };
    const unknown = dto.items.flatMap((it, i) => (offered(it.sku) ? [] : [{ field: `items.${i}.sku`, message: `no product with SKU ${it.sku}` }]));
    if (unknown.length) {
      throw new ProblemException(422, 'unknown-sku', unknown.map((e) => `${e.field}: ${e.message}`).join('; '), { extensions: { errors: unknown } });
    }
    const currencies = new Set(dto.items.map((i) => prices.get(i.sku)!.currency));
    if (currencies.size > 1) {
      throw new ProblemException(422, 'mixed-currencies', `The items are priced in different currencies (${[...currencies].join(', ')}); one order takes one currency`, {
        extensions: { errors: [{ field: 'items', message: 'products priced in more than one currency' }] },
      });
    }
    // In BigInt: 100 lines of up to 10,000 units at up to 999,999,999,999 paise go far past 2^53,
    // where a JS number silently rounds the total (and the amount Razorpay is asked to collect).
    const total = dto.items.reduce((sum, i) => sum + BigInt(toMinorUnits(prices.get(i.sku)!.price)) * BigInt(i.quantity), 0n);
    if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
      // The total is a JSON number in our answer and in Razorpay's API: past 2^53 - 1 it cannot be exact.
      const message = `the total, ${total} paise, is more than ${Number.MAX_SAFE_INTEGER} paise, the most one order can carry; split the order`;
      throw new ProblemException(422, 'amount-too-large', `items: ${message}`, { extensions: { errors: [{ field: 'items', message }] } });
    }
    return { prices, amountMinor: Number(total), currency: [...currencies][0] };
  }

  private async createRazorpayOrder(orderId: string, amount: number, currency: string): Promise<RazorpayOrder> {
    try {
      return await this.razorpay.createOrder({ amount, currency, receipt: orderId, notes: { hubOrderId: orderId } });
    } catch (err) {
      if (err instanceof RateLimitedError) {
        throw new ProblemException(503, 'payment-provider-unavailable', 'Razorpay is rate limiting us; retry shortly with the same Idempotency-Key', {
          headers: { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) },
        });
      }
      if (err instanceof RazorpayCredentialUnavailableError) {
        // No usable credential in the vault (missing or undecryptable): an operator has to act.
        throw new ProblemException(503, 'payment-provider-unavailable', 'Payments are unavailable right now; nothing was reserved. Retry later with the same Idempotency-Key', {
          headers: { 'Retry-After': '30' },
        });
      }
      if (err instanceof PartnerUnavailableError || err instanceof CredentialRejectedError) {
        // The credential detail goes to the vault and the logs, not to the API caller.
        throw new ProblemException(503, 'payment-provider-unavailable', 'Razorpay is not reachable right now; nothing was reserved. Retry with the same Idempotency-Key', {
          headers: { 'Retry-After': '5' },
        });
      }
      if (err instanceof RazorpayRequestError) {
        throw new ProblemException(422, 'payment-order-rejected', `Razorpay refused the payment order: ${err.description}`, {
          extensions: { razorpayCode: err.code, razorpayField: err.field },
        });
      }
      throw err;
    }
  }
}

