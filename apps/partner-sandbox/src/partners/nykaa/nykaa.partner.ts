import { partnerFieldsFromEnv, PartnerFields } from '@hub/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyCommonFaults } from '../../faults/common-faults';
import { SandboxContext, SandboxPartner } from '../../sandbox-partner';
import { bodyObject, controlProblem } from '../shared/control-problem';
import { base62, safeEqual } from '../shared/ids';
import { listingsOf } from '../shared/snapshot';
import { ListingInput, nykaaError, NykaaValidationError, parseListing, parseQuantity } from './nykaa-wire';

/** Used when the environment has no Nykaa credentials (same values as .env.example). */
const FALLBACK: PartnerFields['nykaa'] = { apiKey: 'fake-nykaa-api-key-0001', sellerId: 'NYK-FAKE-0001' };

const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Items per bulk inventory call (docs/nykaa-api.md). */
export const BULK_MAX = 100;

interface Listing extends ListingInput {
  sku: string;
  listingId: string;
  status: 'ACTIVE' | 'DELISTED';
  createdAt: string;
  updatedAt: string;
}

export interface NykaaOrder {
  orderId: string;
  status: 'PLACED';
  items: { sku: string; quantity: number; price: { amount: string; currency: 'INR' } }[];
  total: { amount: string; currency: 'INR' };
  customer: { name: string; city: string };
  createdAt: string;
}

export interface NykaaReview {
  id: string;
  sku: string;
  rating: number;
  title: string;
  body: string;
  author: string;
  createdAt: string;
}

/**
 * Nykaa stand-in. Nykaa publishes no seller API, so this implements our own contract
 * (docs/nykaa-api.md): an API-key header, listings, inventory, orders and reviews under /nykaa/v1.
 */
export class NykaaPartner implements SandboxPartner {
  readonly name = 'nykaa';
  private ctx?: SandboxContext;
  private creds!: PartnerFields['nykaa'];
  private listings = new Map<string, Listing>();
  private reviews: NykaaReview[] = [];
  private orders: NykaaOrder[] = [];
  private requests: Record<string, number> = {};

  constructor(private readonly now: () => number = () => Date.now()) {
    this.reset();
  }

  state() {
    const listings: Record<string, unknown> = {};
    for (const [sku, l] of this.listings) {
      listings[sku] = { quantity: l.quantity, imageUrl: l.imageUrl, title: l.title, price: l.price, status: l.status, updatedAt: l.updatedAt };
    }
    return { listings, reviews: [...this.reviews], orders: [...this.orders], requests: { ...this.requests } };
  }

  snapshot() {
    return { listings: [...this.listings.values()] };
  }

  restore(data: unknown): void {
    for (const l of listingsOf(data) as Listing[]) this.listings.set(l.sku, l);
  }

  reset(): void {
    this.creds = partnerFieldsFromEnv('nykaa') ?? FALLBACK;
    this.listings.clear();
    this.reviews = [];
    this.orders = [];
    this.requests = {};
  }

  /** Releases requests held by latency/timeout faults so shutdown does not wait for them. */
  close(): void {
    this.ctx?.faults.clear(this.name);
  }

  async register(app: FastifyInstance, ctx: SandboxContext): Promise<void> {
    this.ctx = ctx;
    await app.register(
      async (scope) => {
        scope.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
          if (err instanceof NykaaValidationError) return nykaaError(reply, 400, 'VALIDATION_ERROR', err.message, err.field);
          if (err.statusCode && err.statusCode < 500) return nykaaError(reply, err.statusCode, 'VALIDATION_ERROR', err.message, 'body');
          ctx.log.error({ err }, 'nykaa sandbox error');
          return nykaaError(reply, 500, 'INTERNAL', 'Internal error');
        });
        scope.addHook('preHandler', async (req, reply) => {
          const op = `${req.method} ${req.routeOptions.url}`;
          this.requests[op] = (this.requests[op] ?? 0) + 1;
          const faulted = await applyCommonFaults(ctx.faults, this.name, req, reply, {
            rateLimited: (r, s) => nykaaError(r.header('retry-after', String(s)), 429, 'RATE_LIMITED', `Too many requests; retry after ${s} s`),
            serverError: (r, status) => nykaaError(r, status, 'INTERNAL', 'Internal error'),
          });
          if (faulted) return reply;
          if (!this.authorised(req, ctx)) return nykaaError(reply, 401, 'UNAUTHORIZED', 'Missing or invalid X-Nykaa-Api-Key');
          const sellerId = (req.params as { sellerId?: string }).sellerId;
          if (sellerId !== undefined && sellerId !== this.creds.sellerId) return nykaaError(reply, 401, 'UNAUTHORIZED', `This API key does not belong to seller ${sellerId}`);
          const sku = (req.params as { sku?: string }).sku;
          if (sku !== undefined && !SKU.test(sku)) return nykaaError(reply, 400, 'VALIDATION_ERROR', 'sku must be 1-64 characters of A-Z a-z 0-9 . _ -', 'sku');
        });

        scope.get('/v1/auth/verify', async () => ({ sellerId: this.creds.sellerId, status: 'ACTIVE' }));
        scope.put('/v1/sellers/:sellerId/listings/:sku', (req, reply) => this.putListing(req, reply));
        scope.get('/v1/sellers/:sellerId/listings/:sku', (req, reply) => this.withListing(req, reply, (l) => reply.send(this.view(l))));
        scope.delete('/v1/sellers/:sellerId/listings/:sku', (req, reply) =>
          this.withListing(req, reply, (l) => {
            l.status = 'DELISTED';
            l.updatedAt = this.iso();
            return reply.send({ sku: l.sku, status: 'DELISTED' });
          }),
        );
        scope.put('/v1/sellers/:sellerId/inventory/:sku', (req, reply) =>
          this.withListing(req, reply, (l) => {
            l.quantity = parseQuantity(bodyObject(req.body)?.quantity);
            l.updatedAt = this.iso();
            return reply.send({ sku: l.sku, quantity: l.quantity, updatedAt: l.updatedAt });
          }),
        );
        scope.put('/v1/sellers/:sellerId/inventory', (req, reply) => this.putInventoryBulk(req, reply));
        scope.get('/v1/sellers/:sellerId/inventory/:sku', (req, reply) => this.withListing(req, reply, (l) => reply.send({ sku: l.sku, quantity: l.quantity })));
        scope.get('/v1/sellers/:sellerId/reviews', (req, reply) => this.listReviews(req, reply));
        scope.get('/v1/sellers/:sellerId/orders', (req, reply) => {
          const from = this.since(req);
          return reply.send({ orders: this.orders.filter((o) => Date.parse(o.createdAt) > from) });
        });
        scope.get('/v1/sellers/:sellerId/orders/:orderId', (req, reply) => {
          const order = this.orders.find((o) => o.orderId === (req.params as { orderId: string }).orderId);
          return order ? reply.send(order) : nykaaError(reply, 404, 'NOT_FOUND', 'No such order');
        });
      },
      { prefix: '/nykaa' },
    );

    app.post('/_sandbox/nykaa/orders', async (req, reply) => this.placeOrder(req, reply));

    app.post('/_sandbox/nykaa/reviews', async (req, reply) => {
      const b = bodyObject(req.body);
      if (!b) return controlProblem(reply, 400, 'body must be a JSON object');
      if (typeof b.sku !== 'string' || !SKU.test(b.sku)) return controlProblem(reply, 400, 'sku is required (1-64 characters of A-Z a-z 0-9 . _ -)', 'sku');
      if (!Number.isInteger(b.rating) || (b.rating as number) < 1 || (b.rating as number) > 5) return controlProblem(reply, 400, 'rating must be an integer from 1 to 5', 'rating');
      for (const k of ['title', 'body', 'author'] as const) {
        if (b[k] !== undefined && typeof b[k] !== 'string') return controlProblem(reply, 400, `${k} must be a string`, k);
      }
      const createdAt = b.createdAt === undefined ? this.iso() : typeof b.createdAt === 'string' && !Number.isNaN(Date.parse(b.createdAt)) ? new Date(b.createdAt).toISOString() : undefined;
      if (!createdAt) return controlProblem(reply, 400, 'createdAt must be an ISO 8601 date-time', 'createdAt');
      const review: NykaaReview = {
        id: `rev_${base62(16)}`,
        sku: b.sku,
        rating: b.rating as number,
        title: (b.title as string | undefined) ?? '',
        body: (b.body as string | undefined) ?? '',
        author: (b.author as string | undefined) ?? 'Nykaa customer',
        createdAt,
      };
      this.reviews.push(review);
      return reply.status(201).send(review);
    });
  }

  private authorised(req: FastifyRequest, ctx: SandboxContext): boolean {
    const key = req.headers['x-nykaa-api-key'];
    if (typeof key !== 'string' || !safeEqual(key, this.creds.apiKey)) return false;
    return !ctx.faults.take(this.name, 'reject-credentials', req.url);
  }

  private putListing(req: FastifyRequest, reply: FastifyReply) {
    const { sku } = req.params as { sku: string };
    const input = parseListing(req.body);
    const existing = this.listings.get(sku);
    const at = this.iso();
    const listing: Listing = { ...input, sku, listingId: existing?.listingId ?? `NYK-L-${base62(12)}`, status: 'ACTIVE', createdAt: existing?.createdAt ?? at, updatedAt: at };
    this.listings.set(sku, listing);
    return reply.send({ sku, listingId: listing.listingId, status: listing.status });
  }

  /**
   * Bulk quantities: the whole body is validated first (a malformed request changes nothing), then
   * each item is applied on its own and answered in the same order, so one unknown SKU does not
   * hold back the others.
   */
  private putInventoryBulk(req: FastifyRequest, reply: FastifyReply) {
    const items = bodyObject(req.body)?.items;
    if (!Array.isArray(items) || items.length < 1 || items.length > BULK_MAX) {
      throw new NykaaValidationError('items', `items must be an array of 1 to ${BULK_MAX} {sku, quantity} objects`);
    }
    const seen = new Set<string>();
    const parsed = items.map((it: unknown, i: number) => {
      const o = bodyObject(it);
      const sku = o?.sku;
      if (typeof sku !== 'string' || !SKU.test(sku)) throw new NykaaValidationError(`items.${i}.sku`, 'sku must be 1-64 characters of A-Z a-z 0-9 . _ -');
      if (seen.has(sku)) throw new NykaaValidationError(`items.${i}.sku`, `sku ${sku} appears more than once`);
      seen.add(sku);
      try {
        return { sku, quantity: parseQuantity(o?.quantity) };
      } catch (err) {
        throw new NykaaValidationError(`items.${i}.quantity`, (err as Error).message);
      }
    });
    const updatedAt = this.iso();
    const results = parsed.map(({ sku, quantity }) => {
      const l = this.listings.get(sku);
      if (!l) return { sku, status: 'REJECTED', error: { code: 'NOT_FOUND', message: `No listing for sku ${sku}` } };
      l.quantity = quantity;
      l.updatedAt = updatedAt;
      return { sku, status: 'UPDATED', quantity, updatedAt };
    });
    return reply.send({ results });
  }

  private withListing(req: FastifyRequest, reply: FastifyReply, fn: (l: Listing) => FastifyReply) {
    const { sku } = req.params as { sku: string };
    const l = this.listings.get(sku);
    if (!l) return nykaaError(reply, 404, 'NOT_FOUND', `No listing for sku ${sku}`);
    return fn(l);
  }

  /** `?since=` as epoch ms (-Infinity when absent); throws a validation error when malformed. */
  private since(req: FastifyRequest): number {
    const since = (req.query as { since?: string }).since;
    if (since === undefined) return -Infinity;
    const from = Date.parse(since);
    if (Number.isNaN(from)) throw new NykaaValidationError('since', 'since must be an ISO 8601 date-time');
    return from;
  }

  /** A customer buys on Nykaa: the order becomes visible to the seller and the listing's quantity drops. */
  private placeOrder(req: FastifyRequest, reply: FastifyReply) {
    const b = bodyObject(req.body);
    const items = b?.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > 50) return controlProblem(reply, 400, 'items must be an array of 1-50 {sku, quantity}', 'items');
    const lines: { listing: Listing; quantity: number }[] = [];
    for (const [i, it] of items.entries()) {
      const line = bodyObject(it);
      const listing = typeof line?.sku === 'string' ? this.listings.get(line.sku) : undefined;
      if (!listing || listing.status !== 'ACTIVE') return controlProblem(reply, 400, `items[${i}].sku is not an active listing`, `items[${i}].sku`);
      if (!Number.isInteger(line!.quantity) || (line!.quantity as number) < 1) return controlProblem(reply, 400, `items[${i}].quantity must be a positive integer`, `items[${i}].quantity`);
      lines.push({ listing, quantity: line!.quantity as number });
    }
    for (const { listing } of lines) {
      const wanted = lines.filter((l) => l.listing === listing).reduce((n, l) => n + l.quantity, 0);
      if (wanted > listing.quantity) return controlProblem(reply, 409, `only ${listing.quantity} of ${listing.sku} available on Nykaa`);
    }
    const paise = (amount: string) => Math.round(Number(amount) * 100);
    let total = 0;
    for (const { listing, quantity } of lines) {
      listing.quantity -= quantity;
      listing.updatedAt = this.iso();
      total += paise(listing.price.amount) * quantity;
    }
    const customer = bodyObject(b?.customer);
    const order: NykaaOrder = {
      orderId: `NYK-O-${base62(12)}`,
      status: 'PLACED',
      items: lines.map(({ listing, quantity }) => ({ sku: listing.sku, quantity, price: { ...listing.price } })),
      total: { amount: (total / 100).toFixed(2), currency: 'INR' },
      customer: { name: typeof customer?.name === 'string' ? customer.name : 'Nykaa customer', city: typeof customer?.city === 'string' ? customer.city : 'Mumbai' },
      createdAt: this.iso(),
    };
    this.orders.push(order);
    return reply.status(201).send(order);
  }

  private listReviews(req: FastifyRequest, reply: FastifyReply) {
    const from = this.since(req);
    const reviews = this.reviews.filter((r) => Date.parse(r.createdAt) > from).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return reply.send({ reviews });
  }

  private view(l: Listing) {
    const { sku, listingId, title, description, category, price, imageUrl, quantity, status, createdAt, updatedAt } = l;
    return { sku, listingId, title, description, category, price, imageUrl, quantity, status, createdAt, updatedAt };
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

