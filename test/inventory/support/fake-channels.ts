import { Global, Module } from '@nestjs/common';
import {
  Channel,
  CHANNEL_ADAPTERS,
  ChannelAdapter,
  ChannelReview,
  CredentialRejectedError,
  ListingInput,
  ListingRejectedError,
  Partner,
  QuantityUpdate,
  QuantityUpdateResult,
  PartnerCredential,
  PartnerCredentials,
  RateLimitedError,
} from '@hub/core';

type Failure = 'rate-limit' | 'reject-credentials' | 'refuse' | 'unavailable';

/**
 * An in-memory channel implementing core's ChannelAdapter, for testing the sync pipeline without
 * the partner sandbox. Records every call and can be told to fail the next N pushes.
 */
export class FakeChannel implements ChannelAdapter {
  readonly quantities = new Map<string, number>();
  readonly pushes: { sku: string; quantity: number; at: number }[] = [];
  private failures: { kind: Failure; count: number; retryAfterMs?: number }[] = [];
  latencyMs = 0;

  constructor(readonly channel: Channel) {}

  failNext(kind: Failure, count = 1, retryAfterMs?: number): void {
    this.failures.push({ kind, count, retryAfterMs });
  }

  clearFailures(): void {
    this.failures = [];
  }

  async publishListing(input: ListingInput) {
    this.quantities.set(input.sku, input.quantity);
    return { externalId: `${this.channel}-${input.sku}`, status: 'published' as const };
  }

  async updateQuantity(sku: string, quantity: number) {
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.nextFailure() === 'refuse') throw new ListingRejectedError(this.channel, 'listing does not exist');
    this.quantities.set(sku, quantity);
    this.pushes.push({ sku, quantity, at: Date.now() });
    return { confirmedQuantity: quantity };
  }

  /** Takes one queued failure: throws the whole-call ones, returns 'refuse' for the caller to apply. */
  protected nextFailure(): 'refuse' | undefined {
    const f = this.failures[0];
    if (!f) return undefined;
    if (--f.count <= 0) this.failures.shift();
    switch (f.kind) {
      case 'rate-limit':
        throw new RateLimitedError(this.channel, f.retryAfterMs ?? 300);
      case 'reject-credentials':
        throw new CredentialRejectedError(this.channel, this.channel, 3, 'invalid_client');
      case 'unavailable':
        throw new Error('socket hang up');
      case 'refuse':
        return 'refuse';
    }
  }

  async fetchQuantity(sku: string) {
    return this.quantities.get(sku) ?? null;
  }

  async delist(sku: string) {
    this.quantities.delete(sku);
  }

  async fetchReviews(): Promise<ChannelReview[]> {
    return [];
  }
}

/**
 * A FakeChannel with a bulk endpoint, like Nykaa and the storefront: the sync worker batches its
 * pushes. A queued failure applies to one whole call; `refuse` refuses every item of that call.
 */
export class BatchingFakeChannel extends FakeChannel {
  readonly maxQuantityBatch = 50;
  readonly bulkCalls: number[] = [];

  async updateQuantities(updates: QuantityUpdate[]): Promise<QuantityUpdateResult[]> {
    this.bulkCalls.push(updates.length);
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.nextFailure() === 'refuse') return updates.map((u) => ({ sku: u.sku, error: new ListingRejectedError(this.channel, 'listing does not exist') }));
    return updates.map((u) => {
      this.quantities.set(u.sku, u.quantity);
      this.pushes.push({ sku: u.sku, quantity: u.quantity, at: Date.now() });
      return { sku: u.sku, confirmedQuantity: u.quantity };
    });
  }
}

export class RecordingPartnerCredentials extends PartnerCredentials {
  readonly rejected: { partner: Partner; version: number; reason: string }[] = [];
  async current<P extends Partner>(partner: P): Promise<PartnerCredential<P>> {
    return { partner, version: 1, fields: {} as never };
  }
  async usable<P extends Partner>(partner: P): Promise<PartnerCredential<P>[]> {
    return [await this.current(partner)];
  }
  async reportRejected(partner: Partner, version: number, reason: string): Promise<void> {
    this.rejected.push({ partner, version, reason });
  }
  async reportAccepted(): Promise<void> {}
}

export function fakeChannelsModule(channels: FakeChannel[], credentials: RecordingPartnerCredentials) {
  @Global()
  @Module({
    providers: [
      { provide: CHANNEL_ADAPTERS, useValue: channels },
      { provide: PartnerCredentials, useValue: credentials },
    ],
    exports: [CHANNEL_ADAPTERS, PartnerCredentials],
  })
  class FakeChannelsModule {}
  return FakeChannelsModule;
}
