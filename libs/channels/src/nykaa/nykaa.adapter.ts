import {
  ChannelAdapter,
  ChannelReview,
  CredentialRejectedError,
  ListingInput,
  ListingRejectedError,
  ListingResult,
  PartnerCredentials,
  PartnerUnavailableError,
  QuantityUpdate,
  QuantityUpdateResult,
} from '@hub/core';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { ChannelsConfig } from '../channels.config';
import { createPartnerHttp, describeBody, rateLimited, send } from '../http/partner-http';

/**
 * docs/nykaa-api.md: a listing's or an inventory item's `quantity` is an integer from 0 to 1,000,000,
 * and anything above is refused. The hub holds up to 10^9 units, but a channel cannot show more than
 * it accepts: every quantity sent is capped here, so a large stock still reaches Nykaa (as its
 * maximum) instead of leaving the old figure up with the push failing.
 */
export const NYKAA_MAX_QUANTITY = 1_000_000;

const capped = (quantity: number) => Math.min(quantity, NYKAA_MAX_QUANTITY);

/**
 * Nykaa has no public seller API; this speaks the small REST contract we defined for it (see the
 * README "Nykaa contract"): `X-Nykaa-Api-Key`, listings, inventory and reviews per seller, and
 * errors shaped `{"error":{"code","message"}}`.
 */
export class NykaaAdapter implements ChannelAdapter {
  readonly channel = 'nykaa' as const;
  /** docs/nykaa-api.md: the bulk inventory call takes up to 100 items. */
  readonly maxQuantityBatch = 100;
  readonly maxQuantity = NYKAA_MAX_QUANTITY;
  private readonly http: AxiosInstance;

  constructor(
    cfg: ChannelsConfig,
    private readonly credentials: PartnerCredentials,
  ) {
    // axios joins baseURL and path as strings, so the base path (`/nykaa`) is kept; strip a trailing slash to avoid `//`.
    this.http = createPartnerHttp(cfg.NYKAA_API_URL.replace(/\/+$/, ''), cfg.PARTNER_TIMEOUT_MS);
  }

  async publishListing(input: ListingInput): Promise<ListingResult> {
    const res = await this.call('PUT', (s) => `/v1/sellers/${s}/listings/${encodeURIComponent(input.sku)}`, {
      title: input.name,
      description: input.description,
      category: input.category,
      price: { amount: input.price, currency: input.currency },
      imageUrl: input.imageUrl,
      quantity: capped(input.quantity),
    });
    return { externalId: String(res.data?.listingId ?? input.sku), status: res.data?.status === 'ACTIVE' ? 'published' : 'pending' };
  }

  async updateQuantity(sku: string, quantity: number): Promise<{ confirmedQuantity: number }> {
    const res = await this.call('PUT', (s) => `/v1/sellers/${s}/inventory/${encodeURIComponent(sku)}`, { quantity: capped(quantity) });
    return { confirmedQuantity: typeof res.data?.quantity === 'number' ? res.data.quantity : capped(quantity) };
  }

  async updateQuantities(updates: QuantityUpdate[]): Promise<QuantityUpdateResult[]> {
    const res = await this.call('PUT', (s) => `/v1/sellers/${s}/inventory`, { items: updates.map((u) => ({ sku: u.sku, quantity: capped(u.quantity) })) });
    const bySku = new Map<string, any>((Array.isArray(res.data?.results) ? res.data.results : []).map((r: any) => [String(r?.sku), r]));
    return updates.map((u): QuantityUpdateResult => {
      const r = bySku.get(u.sku);
      if (r?.status === 'UPDATED') return { sku: u.sku, confirmedQuantity: typeof r.quantity === 'number' ? r.quantity : capped(u.quantity) };
      const why = r ? errorSummary(r) : 'missing from the bulk response';
      // An item Nykaa refused will be refused again; one it did not answer is worth another try.
      return { sku: u.sku, error: r ? new ListingRejectedError('nykaa', why) : new PartnerUnavailableError('nykaa', why) };
    });
  }

  async fetchQuantity(sku: string): Promise<number | null> {
    const res = await this.call('GET', (s) => `/v1/sellers/${s}/inventory/${encodeURIComponent(sku)}`, undefined, true);
    if (res.status === 404) return null;
    return typeof res.data?.quantity === 'number' ? res.data.quantity : null;
  }

  async delist(sku: string): Promise<void> {
    await this.call('DELETE', (s) => `/v1/sellers/${s}/listings/${encodeURIComponent(sku)}`, undefined, true);
  }

  async fetchReviews(since?: Date): Promise<ChannelReview[]> {
    const res = await this.call('GET', (s) => `/v1/sellers/${s}/reviews`, undefined, false, since ? { since: since.toISOString() } : {});
    const reviews = Array.isArray(res.data?.reviews) ? res.data.reviews : [];
    return reviews.map((r: any) => ({
      externalId: String(r.id),
      sku: String(r.sku),
      rating: Number(r.rating),
      title: r.title ?? undefined,
      body: r.body ?? undefined,
      author: r.author ?? undefined,
      createdAt: String(r.createdAt),
    }));
  }

  /** Checks the API key (`GET /v1/auth/verify`); the vault uses it before promoting a new key. */
  async verify(): Promise<void> {
    await this.call('GET', () => '/v1/auth/verify');
  }

  private async call(
    method: 'PUT' | 'GET' | 'DELETE',
    path: (sellerId: string) => string,
    body?: unknown,
    notFoundOk = false,
    params: Record<string, string> = {},
  ): Promise<AxiosResponse> {
    const cred = await this.credentials.current('nykaa');
    const res = await send('nykaa', () =>
      this.http.request({
        method,
        url: path(encodeURIComponent(cred.fields.sellerId)),
        params,
        data: body,
        headers: { 'x-nykaa-api-key': cred.fields.apiKey, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      }),
    );
    if (res.status === 401 || res.status === 403) {
      const reason = `Nykaa answered ${res.status}: ${errorSummary(res.data)}`;
      await this.credentials.reportRejected('nykaa', cred.version, reason);
      throw new CredentialRejectedError('nykaa', 'nykaa', cred.version, reason);
    }
    if (res.status === 429) throw rateLimited('nykaa', res);
    if (res.status >= 500) throw new PartnerUnavailableError('nykaa', `HTTP ${res.status}: ${errorSummary(res.data)}`);
    if (res.status === 404 && notFoundOk) return res;
    if (res.status >= 400) throw new ListingRejectedError('nykaa', `HTTP ${res.status}: ${errorSummary(res.data)}`);
    // Every success: the vault batches these (one write every VAULT_USAGE_FLUSH_MS), and its
    // lastUsedAt for Nykaa should say when the credential last worked, not when this process started.
    await this.credentials.reportAccepted('nykaa', cred.version);
    return res;
  }
}

function errorSummary(data: any): string {
  if (data?.error?.code) return `${data.error.code}: ${data.error.message ?? ''}`.trim();
  return describeBody(data);
}
