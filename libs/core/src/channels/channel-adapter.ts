import type { Channel } from '../auth/scopes';

/** What a channel needs to list one product. Prices are decimal strings in major units ("899.00"). */
export interface ListingInput {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: string;
  currency: string;
  /** The image variant URL for this channel (Cloudinary eager transform), if any. */
  imageUrl: string | null;
  /** Absolute quantity to offer on this channel (already passed through allocation rules). */
  quantity: number;
}

export interface ListingResult {
  /** The channel's id for the listing (Amazon submissionId/ASIN-less sku, Nykaa listingId...). */
  externalId: string;
  status: 'published' | 'pending';
}

export interface ChannelReview {
  externalId: string;
  sku: string;
  rating: number;
  title?: string;
  body?: string;
  author?: string;
  createdAt: string;
}

export interface QuantityUpdate {
  sku: string;
  quantity: number;
}

/** Per-item answer of a bulk update: what the channel confirmed, or why it refused that item. */
export type QuantityUpdateResult = { sku: string; confirmedQuantity: number } | { sku: string; error: ChannelError };

/**
 * One interface, one implementation per channel (storefront, Amazon, Nykaa), chosen by config.
 * Quantities are always absolute ("set to n"), never deltas, so a retried push is harmless.
 * Implementations throw the typed errors below so callers can decide: retry, pause, or give up.
 */
export interface ChannelAdapter {
  readonly channel: Channel;
  /**
   * The most a listing on this channel can show (Nykaa: 1,000,000), when it has a maximum: a larger
   * quantity is sent as this, and a listing showing it is in sync, not drifted.
   */
  readonly maxQuantity?: number;
  publishListing(input: ListingInput): Promise<ListingResult>;
  updateQuantity(sku: string, quantity: number): Promise<{ confirmedQuantity: number }>;
  /**
   * Channels with a bulk endpoint set several quantities in one call (at most `maxQuantityBatch`).
   * A failure of the whole call (credential, rate limit, outage) throws like updateQuantity; an item
   * the channel refused comes back with its error, the others still count.
   */
  readonly maxQuantityBatch?: number;
  updateQuantities?(updates: QuantityUpdate[]): Promise<QuantityUpdateResult[]>;
  /** The quantity the channel currently shows (reconciliation); null if not listed there. */
  fetchQuantity(sku: string): Promise<number | null>;
  delist(sku: string): Promise<void>;
  fetchReviews(since?: Date): Promise<ChannelReview[]>;
}

/** DI token for the list of adapters (`ChannelAdapter[]`). */
export const CHANNEL_ADAPTERS = Symbol('hub:channel-adapters');

/** Base for partner failures that callers branch on. */
export class ChannelError extends Error {
  constructor(
    readonly channel: Channel,
    message: string,
    /** Worth retrying later (429, 5xx, timeouts). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The partner refused our credential (401/403, LWA invalid_client): retrying will not help. */
export class CredentialRejectedError extends ChannelError {
  constructor(channel: Channel, readonly partner: string, readonly credentialVersion: number, readonly reason: string) {
    super(channel, `${partner} rejected credential version ${credentialVersion}: ${reason}`, false);
  }
}

/** 429 from the partner; `retryAfterMs` from Retry-After or its rate headers. */
export class RateLimitedError extends ChannelError {
  constructor(channel: Channel, readonly retryAfterMs: number) {
    super(channel, `rate limited by ${channel}; retry after ${retryAfterMs} ms`, true);
  }
}

/** 5xx, timeout or connection failure. */
export class PartnerUnavailableError extends ChannelError {
  constructor(channel: Channel, detail: string) {
    super(channel, `${channel} unavailable: ${detail}`, true);
  }
}

/** The partner refused the request itself (4xx other than auth/429): retrying will not help. */
export class ListingRejectedError extends ChannelError {
  constructor(channel: Channel, detail: string) {
    super(channel, `${channel} rejected the request: ${detail}`, false);
  }
}
