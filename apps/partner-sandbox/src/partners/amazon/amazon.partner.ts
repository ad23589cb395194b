import { partnerFieldsFromEnv, PartnerFields } from '@hub/core';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyCommonFaults, FaultRenderers } from '../../faults/common-faults';
import { SandboxContext, SandboxPartner } from '../../sandbox-partner';
import { bodyObject, controlProblem } from '../shared/control-problem';
import { registerFormBodyParser } from '../shared/form-body';
import { base62, safeEqual } from '../shared/ids';
import { listingsOf } from '../shared/snapshot';
import { TokenBuckets } from '../shared/token-bucket';
import { lwaError, lwaInvalidClient, spApiError, spApiQuotaExceeded, spApiUnauthorized } from './amazon-wire';
import { Attributes, projectListing, StoredListing, summaryOf, validateAttributes } from './listings-model';
import { NotificationQueue } from './notification-queue';

/** Used when the environment has no Amazon credentials (same values as .env.example). */
const FALLBACK: PartnerFields['amazon'] = {
  clientId: 'amzn1.application-oa2-client.fakeclient0001',
  clientSecret: 'fake-amazon-lwa-client-secret-0001',
  refreshToken: 'Atzr|fake-refresh-token-0001',
  sellerId: 'A1FAKESELLER01',
  marketplaceId: 'A21TJRUUN4KGV',
};

const ACCESS_TOKEN_TTL_S = 3600;
const LISTINGS_RATE = 5;
const LISTINGS_BURST = 5;
const DAY_MS = 86_400_000;
const LISTINGS_PATH = '/listings/2021-08-01/items/:sellerId/:sku';

interface ClientSecret {
  value: string;
  version: number;
  /** Epoch ms after which LWA rejects it; null: no expiry announced. */
  expiresAt: number | null;
}

interface RequestLogEntry {
  op: string;
  sku?: string;
  at: string;
  status: number;
}

type Op = 'lwaToken' | 'putListingsItem' | 'patchListingsItem' | 'getListingsItem' | 'deleteListingsItem';

declare module 'fastify' {
  interface FastifyContextConfig {
    amazonOp?: Op;
  }
}

/**
 * Amazon stand-in: Login with Amazon (refresh-token grant), the Listings Items API 2021-08-01
 * with per-seller token-bucket throttling, client-secret rotation, and the SP-API application
 * notifications about it delivered through an SQS-like polled queue.
 */
export class AmazonPartner implements SandboxPartner {
  readonly name = 'amazon';
  private ctx!: SandboxContext;
  private creds!: Omit<PartnerFields['amazon'], 'clientSecret'>;
  private secrets: ClientSecret[] = [];
  private tokens = new Map<string, { expiresAt: number; secretVersion: number }>();
  private listings = new Map<string, StoredListing>();
  private requests: Record<string, number> = {};
  private requestLog: RequestLogEntry[] = [];
  private tokensIssued = 0;
  private readonly buckets = new TokenBuckets(LISTINGS_RATE, LISTINGS_BURST);
  readonly notifications = new NotificationQueue();
  private readonly applicationId = `amzn1.sellerapps.app.${randomUUID()}`;
  private readonly subscriptionId = randomUUID();

  constructor(private readonly now: () => number = () => Date.now()) {
    this.reset();
  }

  state() {
    const listings: Record<string, ReturnType<typeof projectListing>> = {};
    for (const [sku, l] of this.listings) listings[sku] = projectListing(l);
    return {
      listings,
      requests: { ...this.requests },
      requestLog: [...this.requestLog],
      tokensIssued: this.tokensIssued,
      clientSecretVersion: this.currentSecret().version,
      clientSecretExpiresAt: this.iso(this.currentSecret().expiresAt),
      notificationsQueued: this.notifications.size(),
    };
  }

  snapshot() {
    return { listings: [...this.listings.values()] };
  }

  restore(data: unknown): void {
    for (const l of listingsOf(data) as StoredListing[]) this.listings.set(l.sku, l);
  }

  reset(): void {
    const { clientSecret, ...rest } = partnerFieldsFromEnv('amazon') ?? FALLBACK;
    this.creds = rest;
    this.secrets = [{ value: clientSecret, version: 1, expiresAt: null }];
    this.tokens.clear();
    this.listings.clear();
    this.requests = {};
    this.requestLog = [];
    this.tokensIssued = 0;
    this.buckets.reset();
    this.notifications.clear();
  }

  /** Releases requests held by latency/timeout faults so shutdown does not wait for them. */
  close(): void {
    this.ctx?.faults.clear(this.name);
  }

  async register(app: FastifyInstance, ctx: SandboxContext): Promise<void> {
    this.ctx = ctx;
    await app.register(async (scope) => {
      registerFormBodyParser(scope);
      scope.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
        const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
        if (req.url.startsWith('/auth/')) return lwaError(reply, status === 500 ? 500 : 400, status === 500 ? 'server_error' : 'invalid_request', err.message);
        return spApiError(reply, status, status === 500 ? 'InternalFailure' : 'InvalidInput', status === 500 ? 'We encountered an internal error. Please try again.' : err.message);
      });
      scope.addHook('preHandler', async (req, reply) => {
        if (await applyCommonFaults(ctx.faults, this.name, req, reply, this.renderers(req))) return reply;
      });
      scope.addHook('onResponse', async (req, reply) => {
        const op = req.routeOptions.config.amazonOp;
        if (!op) return;
        this.requests[op] = (this.requests[op] ?? 0) + 1;
        if (reply.statusCode === 429) this.requests.throttled = (this.requests.throttled ?? 0) + 1;
        this.requestLog.push({ op, sku: (req.params as { sku?: string }).sku, at: new Date(this.now()).toISOString(), status: reply.statusCode });
        if (this.requestLog.length > 1000) this.requestLog.splice(0, this.requestLog.length - 1000);
      });

      scope.post('/auth/o2/token', { config: { amazonOp: 'lwaToken' } }, (req, reply) => this.token(req, reply));
      scope.put(LISTINGS_PATH, { config: { amazonOp: 'putListingsItem' } }, (req, reply) => this.listingsCall(req, reply, () => this.putItem(req, reply)));
      scope.patch(LISTINGS_PATH, { config: { amazonOp: 'patchListingsItem' } }, (req, reply) => this.listingsCall(req, reply, () => this.patchItem(req, reply)));
      scope.get(LISTINGS_PATH, { config: { amazonOp: 'getListingsItem' } }, (req, reply) => this.listingsCall(req, reply, () => this.getItem(req, reply)));
      scope.delete(LISTINGS_PATH, { config: { amazonOp: 'deleteListingsItem' } }, (req, reply) => this.listingsCall(req, reply, () => this.deleteItem(req, reply)));
    });
    this.registerControls(app);
  }

  // --- Login with Amazon ---------------------------------------------------------------

  private token(req: FastifyRequest, reply: FastifyReply) {
    const body = bodyObject(req.body) ?? {};
    const param = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    for (const k of ['grant_type', 'client_id', 'client_secret']) {
      if (!param(k)) return lwaError(reply, 400, 'invalid_request', `The request is missing a required parameter : ${k}`);
    }
    if (param('grant_type') !== 'refresh_token') return lwaError(reply, 400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server');
    if (this.ctx.faults.take(this.name, 'reject-credentials', req.url)) return lwaInvalidClient(reply);
    if (!safeEqual(param('client_id')!, this.creds.clientId)) return lwaInvalidClient(reply);
    const secret = this.validSecret(param('client_secret')!);
    if (!secret) return lwaInvalidClient(reply);
    if (!param('refresh_token')) return lwaError(reply, 400, 'invalid_request', 'The request is missing a required parameter : refresh_token');
    if (!safeEqual(param('refresh_token')!, this.creds.refreshToken)) return lwaError(reply, 400, 'invalid_grant', 'The request has an invalid grant parameter : refresh_token');

    const accessToken = `Atza|${randomBytes(96).toString('base64url')}`;
    this.tokens.set(accessToken, { expiresAt: this.now() + ACCESS_TOKEN_TTL_S * 1000, secretVersion: secret.version });
    this.tokensIssued += 1;
    return reply.header('cache-control', 'no-store').send({
      access_token: accessToken,
      refresh_token: this.creds.refreshToken,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_S,
    });
  }

  private validSecret(value: string): ClientSecret | undefined {
    const t = this.now();
    return this.secrets.find((s) => safeEqual(s.value, value) && (s.expiresAt === null || s.expiresAt > t));
  }

  private currentSecret(): ClientSecret {
    return this.secrets[this.secrets.length - 1];
  }

  // --- Listings Items API ---------------------------------------------------------------

  /** Auth, seller, marketplace and throttling checks shared by every listings operation. */
  private listingsCall(req: FastifyRequest, reply: FastifyReply, handler: () => FastifyReply) {
    reply.header('x-amzn-RateLimit-Limit', `${LISTINGS_RATE.toFixed(1)}`);
    reply.header('x-amzn-RequestId', randomUUID());
    const token = req.headers['x-amz-access-token'];
    const grant = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!grant || grant.expiresAt <= this.now() || this.ctx.faults.take(this.name, 'reject-credentials', req.url)) return spApiUnauthorized(reply);
    const { sellerId } = req.params as { sellerId: string };
    // A token only works for the seller that authorised the application.
    if (sellerId !== this.creds.sellerId) return spApiUnauthorized(reply);
    const throttle = this.buckets.take(sellerId);
    if (!throttle.ok) return spApiQuotaExceeded(reply);
    const marketplaceIds = (req.query as { marketplaceIds?: string }).marketplaceIds;
    if (!marketplaceIds) return spApiError(reply, 400, 'InvalidInput', 'Missing required parameter: marketplaceIds');
    if (!marketplaceIds.split(',').includes(this.creds.marketplaceId)) {
      return spApiError(reply, 400, 'InvalidInput', `Invalid marketplaceIds: ${marketplaceIds}. The seller participates in ${this.creds.marketplaceId}.`);
    }
    return handler();
  }

  private putItem(req: FastifyRequest, reply: FastifyReply) {
    const { sku } = req.params as { sku: string };
    const body = bodyObject(req.body);
    if (!body) return spApiError(reply, 400, 'InvalidInput', 'Request body is required.');
    if (typeof body.productType !== 'string' || !body.productType) return spApiError(reply, 400, 'InvalidInput', "Missing required property 'productType'.");
    const attributes = bodyObject(body.attributes);
    if (!attributes) return spApiError(reply, 400, 'InvalidInput', "Missing required property 'attributes'.");
    const requirements = body.requirements ?? 'LISTING';
    if (typeof requirements !== 'string' || !['LISTING', 'LISTING_PRODUCT_ONLY', 'LISTING_OFFER_ONLY'].includes(requirements)) {
      return spApiError(reply, 400, 'InvalidInput', "'requirements' must be one of LISTING, LISTING_PRODUCT_ONLY, LISTING_OFFER_ONLY.");
    }
    const issues = validateAttributes(attributes as Attributes, requirements);
    const submissionId = randomBytes(16).toString('hex');
    if (issues.length) return reply.send({ sku, status: 'INVALID', submissionId, issues });
    if ((req.query as { mode?: string }).mode === 'VALIDATION_PREVIEW') return reply.send({ sku, status: 'VALID', submissionId, issues: [] });
    const at = new Date(this.now()).toISOString();
    const existing = this.listings.get(sku);
    this.listings.set(sku, {
      sku,
      asin: existing?.asin ?? `B0${base62(8).toUpperCase()}`,
      productType: body.productType,
      requirements,
      attributes: structuredClone(attributes) as Attributes,
      status: 'BUYABLE',
      createdAt: existing && existing.status !== 'DELETED' ? existing.createdAt : at,
      updatedAt: at,
    });
    return reply.send({ sku, status: 'ACCEPTED', submissionId, issues: [] });
  }

  private patchItem(req: FastifyRequest, reply: FastifyReply) {
    const { sku } = req.params as { sku: string };
    const body = bodyObject(req.body);
    if (!body) return spApiError(reply, 400, 'InvalidInput', 'Request body is required.');
    if (typeof body.productType !== 'string' || !body.productType) return spApiError(reply, 400, 'InvalidInput', "Missing required property 'productType'.");
    if (!Array.isArray(body.patches) || body.patches.length === 0) return spApiError(reply, 400, 'InvalidInput', "Missing required property 'patches'.");
    const listing = this.listings.get(sku);
    if (!listing || listing.status === 'DELETED') return spApiError(reply, 404, 'NOT_FOUND', `SKU '${sku}' not found in marketplace ${this.creds.marketplaceId}`);

    const attributes = structuredClone(listing.attributes);
    for (const [i, p] of (body.patches as unknown[]).entries()) {
      const patch = bodyObject(p);
      const op = patch?.op;
      const path = patch?.path;
      if (op !== 'add' && op !== 'replace' && op !== 'delete') return spApiError(reply, 400, 'InvalidInput', `patches[${i}].op must be one of add, replace, delete.`);
      const m = typeof path === 'string' ? /^\/attributes\/([A-Za-z0-9_]+)$/.exec(path) : null;
      if (!m) return spApiError(reply, 400, 'InvalidInput', `patches[${i}].path must look like /attributes/<attribute_name>.`);
      if (op === 'delete') delete attributes[m[1]];
      else if (!Array.isArray(patch!.value)) return spApiError(reply, 400, 'InvalidInput', `patches[${i}].value must be an array.`);
      else attributes[m[1]] = structuredClone(patch!.value);
    }
    const issues = validateAttributes(attributes, listing.requirements);
    const submissionId = randomBytes(16).toString('hex');
    if (issues.length) return reply.send({ sku, status: 'INVALID', submissionId, issues });
    if ((req.query as { mode?: string }).mode === 'VALIDATION_PREVIEW') return reply.send({ sku, status: 'VALID', submissionId, issues: [] });
    listing.attributes = attributes;
    listing.productType = body.productType;
    listing.updatedAt = new Date(this.now()).toISOString();
    return reply.send({ sku, status: 'ACCEPTED', submissionId, issues: [] });
  }

  private getItem(req: FastifyRequest, reply: FastifyReply) {
    const { sku } = req.params as { sku: string };
    const listing = this.listings.get(sku);
    if (!listing || listing.status === 'DELETED') return spApiError(reply, 404, 'NOT_FOUND', `SKU '${sku}' not found in marketplace ${this.creds.marketplaceId}`);
    const p = projectListing(listing);
    return reply.send({
      sku,
      summaries: [summaryOf(listing, this.creds.marketplaceId)],
      attributes: listing.attributes,
      issues: [],
      fulfillmentAvailability: [{ fulfillmentChannelCode: 'DEFAULT', quantity: p.quantity }],
    });
  }

  private deleteItem(req: FastifyRequest, reply: FastifyReply) {
    const { sku } = req.params as { sku: string };
    const listing = this.listings.get(sku);
    if (!listing || listing.status === 'DELETED') return spApiError(reply, 404, 'NOT_FOUND', `SKU '${sku}' not found in marketplace ${this.creds.marketplaceId}`);
    // Kept with status DELETED so /_sandbox/state shows that the delisting arrived.
    listing.status = 'DELETED';
    listing.updatedAt = new Date(this.now()).toISOString();
    return reply.send({ sku, status: 'ACCEPTED', submissionId: randomBytes(16).toString('hex'), issues: [] });
  }

  private renderers(req: FastifyRequest): FaultRenderers {
    if (req.url.startsWith('/auth/')) {
      return {
        rateLimited: (reply, s) => lwaError(reply.header('retry-after', String(s)), 429, 'slow_down', 'Too many requests, slow down'),
        serverError: (reply, status) => lwaError(reply, status, 'server_error', 'The authorization server encountered an unexpected error'),
      };
    }
    return {
      rateLimited: (reply, s) => spApiQuotaExceeded(reply.header('x-amzn-RateLimit-Limit', LISTINGS_RATE.toFixed(1)).header('retry-after', String(s))),
      serverError: (reply, status) => spApiError(reply, status, 'InternalFailure', 'We encountered an internal error. Please try again.'),
    };
  }

  // --- Controls: secret rotation and the notifications queue ------------------------------

  private registerControls(app: FastifyInstance): void {
    app.post('/_sandbox/amazon/rotate-secret', async (req, reply) => {
      const body = bodyObject(req.body ?? {});
      if (!body) return controlProblem(reply, 400, 'body must be a JSON object');
      const { rejectOldImmediately = false, oldSecretValidDays = 7 } = body;
      if (typeof rejectOldImmediately !== 'boolean') return controlProblem(reply, 400, 'rejectOldImmediately must be a boolean', 'rejectOldImmediately');
      if (typeof oldSecretValidDays !== 'number' || !(oldSecretValidDays >= 0) || oldSecretValidDays > 365) {
        return controlProblem(reply, 400, 'oldSecretValidDays must be a number between 0 and 365', 'oldSecretValidDays');
      }
      const t = this.now();
      const oldExpiry = rejectOldImmediately ? t : t + oldSecretValidDays * DAY_MS;
      for (const s of this.secrets) s.expiresAt = s.expiresAt === null ? oldExpiry : Math.min(s.expiresAt, oldExpiry);
      // A secret revoked at once takes its access tokens with it, so the next call fails.
      if (rejectOldImmediately) this.tokens.clear();
      const secret: ClientSecret = { value: `amzn1.oa2-cs.v1.${randomBytes(32).toString('hex')}`, version: this.currentSecret().version + 1, expiresAt: null };
      this.secrets.push(secret);
      this.notify('APPLICATION_OAUTH_CLIENT_NEW_SECRET', {
        applicationOAuthClientNewSecret: { clientId: this.creds.clientId, newClientSecret: secret.value, oldClientSecretExpiryTime: this.iso(oldExpiry) },
      });
      return reply.status(201).send({ newClientSecret: secret.value, clientSecretVersion: secret.version, oldSecretExpiresAt: this.iso(oldExpiry) });
    });

    app.post('/_sandbox/amazon/notify-expiry', async (req, reply) => {
      const at = bodyObject(req.body)?.clientSecretExpiryTime;
      const ms = typeof at === 'string' ? Date.parse(at) : NaN;
      if (Number.isNaN(ms)) return controlProblem(reply, 400, 'clientSecretExpiryTime must be an ISO 8601 date-time', 'clientSecretExpiryTime');
      // The notice is true: the current secret really stops working at that time.
      this.currentSecret().expiresAt = ms;
      const id = this.notify('APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY', {
        applicationOAuthClientSecretExpiry: { clientId: this.creds.clientId, clientSecretExpiryTime: this.iso(ms) },
      });
      return reply.status(201).send({ messageId: id, clientSecretExpiryTime: this.iso(ms) });
    });

    app.post('/_sandbox/amazon/expire-tokens', async () => {
      const count = this.tokens.size;
      this.tokens.clear();
      return { expired: count };
    });

    app.post('/_sqs/amazon-notifications/receive', async (req, reply) => {
      const body = bodyObject(req.body ?? {}) ?? {};
      const max = body.maxMessages ?? body.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 10) {
        return reply.status(400).send({ __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'maxMessages must be an integer from 1 to 10' });
      }
      return { Messages: this.notifications.receive(max as number) };
    });

    app.post('/_sqs/amazon-notifications/delete', async (req, reply) => {
      const handle = bodyObject(req.body)?.ReceiptHandle;
      if (typeof handle !== 'string' || !this.notifications.delete(handle)) {
        return reply.status(400).send({ __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid', message: 'The input receipt handle is invalid.' });
      }
      return {};
    });
  }

  private notify(notificationType: string, payload: Record<string, unknown>): string {
    const t = new Date(this.now()).toISOString();
    return this.notifications.send({
      notificationVersion: '1.0',
      notificationType,
      payloadVersion: '2023-05-01',
      eventTime: t,
      payload,
      notificationMetadata: { applicationId: this.applicationId, subscriptionId: this.subscriptionId, publishTime: t, notificationId: randomUUID() },
    });
  }

  private iso(ms: number | null): string | null {
    return ms === null ? null : new Date(ms).toISOString();
  }
}
