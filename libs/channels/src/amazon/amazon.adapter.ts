import {
  ChannelAdapter,
  ChannelReview,
  CredentialRejectedError,
  ListingInput,
  ListingRejectedError,
  ListingResult,
  PartnerCredential,
  PartnerCredentials,
  PartnerUnavailableError,
} from '@hub/core';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { ChannelsConfig } from '../channels.config';
import { createPartnerHttp, describeBody, rateLimited, send } from '../http/partner-http';
import { TokenBucket } from '../http/token-bucket';
import { AmazonLwaClient } from './amazon-lwa.client';

const LISTINGS_PATH = '/listings/2021-08-01/items';

/**
 * Amazon through the Selling Partner Listings Items API (2021-08-01). Every call first takes a
 * token from an outbound bucket sized like Amazon's own limit, so we do not provoke throttling;
 * a 429 blocks the bucket until Retry-After has passed, then surfaces as RateLimitedError.
 */
export class AmazonAdapter implements ChannelAdapter {
  readonly channel = 'amazon' as const;
  readonly bucket: TokenBucket;
  private readonly http: AxiosInstance;
  private readonly lwa: AmazonLwaClient;

  constructor(
    private readonly cfg: ChannelsConfig,
    private readonly credentials: PartnerCredentials,
    /** `now` drives the LWA token expiry (tests move it); the bucket keeps real time. */
    opts: { now?: () => number; bucket?: TokenBucket } = {},
  ) {
    this.http = createPartnerHttp(cfg.AMAZON_SPAPI_URL, cfg.PARTNER_TIMEOUT_MS);
    this.lwa = new AmazonLwaClient(this.http, cfg.AMAZON_LWA_URL, credentials, opts.now);
    this.bucket = opts.bucket ?? new TokenBucket(cfg.AMAZON_RATE_PER_SECOND, cfg.AMAZON_BURST, Date.now, undefined, cfg.AMAZON_BUCKET_MARGIN_MS);
  }

  async publishListing(input: ListingInput): Promise<ListingResult> {
    const res = await this.call('PUT', input.sku, (cred) => ({
      productType: this.cfg.AMAZON_PRODUCT_TYPE,
      requirements: 'LISTING',
      attributes: this.attributes(input, cred.fields.marketplaceId),
    }));
    this.assertAccepted(res);
    return { externalId: res.data?.sku ?? input.sku, status: res.data?.status === 'ACCEPTED' ? 'published' : 'pending' };
  }

  async updateQuantity(sku: string, quantity: number): Promise<{ confirmedQuantity: number }> {
    const res = await this.call('PATCH', sku, () => ({
      productType: this.cfg.AMAZON_PRODUCT_TYPE,
      patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }],
    }));
    this.assertAccepted(res);
    return { confirmedQuantity: quantity };
  }

  async fetchQuantity(sku: string): Promise<number | null> {
    const res = await this.call('GET', sku, undefined, { includedData: 'attributes' });
    if (res.status === 404) return null;
    const fa = res.data?.attributes?.fulfillment_availability;
    const q = Array.isArray(fa) ? fa.find((f: any) => f?.fulfillment_channel_code === 'DEFAULT') ?? fa[0] : undefined;
    return typeof q?.quantity === 'number' ? q.quantity : null;
  }

  async delist(sku: string): Promise<void> {
    const res = await this.call('DELETE', sku);
    // Already gone is what we wanted.
    if (res.status === 404) return;
    this.assertAccepted(res);
  }

  /** The Listings Items API exposes no customer reviews. */
  async fetchReviews(): Promise<ChannelReview[]> {
    return [];
  }

  private attributes(input: ListingInput, marketplaceId: string): Record<string, unknown> {
    const text = (value: string) => [{ value, language_tag: this.cfg.AMAZON_LANGUAGE_TAG, marketplace_id: marketplaceId }];
    return {
      item_name: text(input.name),
      product_description: text(input.description),
      item_type_keyword: [{ value: input.category, marketplace_id: marketplaceId }],
      list_price: [{ value: Number(input.price), currency: input.currency, marketplace_id: marketplaceId }],
      fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: input.quantity }],
      ...(input.imageUrl ? { main_product_image_locator: [{ media_location: input.imageUrl, marketplace_id: marketplaceId }] } : {}),
    };
  }

  /** Issues one Listings Items call; retries once with a fresh LWA token when the old one is refused. */
  private async call(
    method: 'PUT' | 'PATCH' | 'GET' | 'DELETE',
    sku: string,
    body?: (cred: PartnerCredential<'amazon'>) => unknown,
    extraQuery: Record<string, string> = {},
  ): Promise<AxiosResponse> {
    for (let attempt = 0; ; attempt++) {
      const cred = await this.credentials.current('amazon');
      // The rate-limit slot first: a wait for it (after a 429's Retry-After, say) can outlast the
      // token's safety margin, and a token taken before would then go out expired.
      await this.bucket.acquire();
      const token = await this.lwa.accessToken(cred);
      const url = `${LISTINGS_PATH}/${encodeURIComponent(cred.fields.sellerId)}/${encodeURIComponent(sku)}`;
      const res = await send('amazon', () =>
        this.http.request({
          method,
          url,
          params: { marketplaceIds: cred.fields.marketplaceId, ...extraQuery },
          data: body?.(cred),
          headers: { 'x-amz-access-token': token, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        }),
      );
      if (res.status === 429) {
        const err = rateLimited('amazon', res);
        this.bucket.blockFor(err.retryAfterMs);
        throw err;
      }
      if (res.status === 401 || res.status === 403) {
        this.lwa.invalidate(token);
        // An access token can be revoked before its expiry; one fresh exchange tells a stale
        // token apart from a credential Amazon no longer accepts.
        if (attempt === 0) continue;
        const reason = `Listings API answered ${res.status}: ${errorSummary(res.data)}`;
        await this.credentials.reportRejected('amazon', cred.version, reason);
        throw new CredentialRejectedError('amazon', 'amazon', cred.version, reason);
      }
      if (res.status >= 500) throw new PartnerUnavailableError('amazon', `HTTP ${res.status}: ${errorSummary(res.data)}`);
      if (res.status >= 400 && !(res.status === 404 && (method === 'GET' || method === 'DELETE'))) {
        throw new ListingRejectedError('amazon', `HTTP ${res.status}: ${errorSummary(res.data)}`);
      }
      return res;
    }
  }

  /** Amazon answers 200 with status INVALID and issues when the listing itself is wrong. */
  private assertAccepted(res: AxiosResponse): void {
    if (res.data?.status === 'INVALID') {
      const issues = Array.isArray(res.data.issues) ? res.data.issues : [];
      const errors = issues.filter((i: any) => i?.severity === 'ERROR');
      throw new ListingRejectedError('amazon', (errors.length ? errors : issues).map((i: any) => `${i.code}: ${i.message}`).join('; ') || 'status INVALID');
    }
  }
}

function errorSummary(data: any): string {
  if (Array.isArray(data?.errors) && data.errors.length) return data.errors.map((e: any) => `${e.code}: ${e.message}`).join('; ');
  return describeBody(data);
}
