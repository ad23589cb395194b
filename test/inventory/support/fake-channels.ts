import { Global, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Channel,
  CHANNEL_ADAPTERS,
  ChannelAdapter,
  ChannelReview,
  CoreModule,
  CredentialRejectedError,
  ListingInput,
  ListingRejectedError,
  Partner,
  PartnerUnavailableError,
  QuantityUpdate,
  QuantityUpdateResult,
  PartnerCredential,
  PartnerCredentials,
  RateLimitedError,
} from '@hub/core';
import { InventoryService, InventoryWorkerModule } from '@hub/inventory';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

type Failure = 'rate-limit' | 'reject-credentials' | 'refuse' | 'unavailable';

/**
 * An in-memory channel implementing core's ChannelAdapter, for testing the sync pipeline without
 * the partner sandbox. Records every call and can be told to fail the next N pushes, of any SKU or of one.
 */
export class FakeChannel implements ChannelAdapter {
  readonly quantities = new Map<string, number>();
  /** Pushes the channel took. */
  readonly pushes: { sku: string; quantity: number; at: number }[] = [];
  /** Every SKU a push was tried for, taken or failed, in order. */
  readonly attempts: string[] = [];
  private failures: { kind: Failure; count: number; retryAfterMs?: number; sku?: string }[] = [];
  latencyMs = 0;

  constructor(readonly channel: Channel) {}

  failNext(kind: Failure, count = 1, retryAfterMs?: number): void {
    this.failures.push({ kind, count, retryAfterMs });
  }

  /**
   * Like failNext, for single-SKU pushes of `sku` only (bulk calls ignore it). `count` may be
   * Infinity: the SKU then fails until clearFailures(sku).
   */
  failNextFor(sku: string, kind: Failure, count = 1): void {
    this.failures.push({ kind, count, sku });
  }

  /** Drops the queued failures: all of them, or those targeting `sku`. */
  clearFailures(sku?: string): void {
    this.failures = sku === undefined ? [] : this.failures.filter((f) => f.sku !== sku);
  }

  async publishListing(input: ListingInput) {
    this.quantities.set(input.sku, input.quantity);
    return { externalId: `${this.channel}-${input.sku}`, status: 'published' as const };
  }

  async updateQuantity(sku: string, quantity: number) {
    this.attempts.push(sku);
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.nextFailure(sku) === 'refuse') throw new ListingRejectedError(this.channel, 'listing does not exist');
    this.quantities.set(sku, quantity);
    this.pushes.push({ sku, quantity, at: Date.now() });
    return { confirmedQuantity: quantity };
  }

  /**
   * Takes the first queued failure that applies (an untargeted one, or one for `sku`): throws the
   * whole-call ones, returns 'refuse' for the caller to apply.
   */
  protected nextFailure(sku?: string): 'refuse' | undefined {
    const i = this.failures.findIndex((f) => f.sku === undefined || f.sku === sku);
    if (i < 0) return undefined;
    const f = this.failures[i];
    if (--f.count <= 0) this.failures.splice(i, 1);
    switch (f.kind) {
      case 'rate-limit':
        throw new RateLimitedError(this.channel, f.retryAfterMs ?? 300);
      case 'reject-credentials':
        throw new CredentialRejectedError(this.channel, this.channel, 3, 'invalid_client');
      case 'unavailable':
        throw new PartnerUnavailableError(this.channel, 'socket hang up');
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
    this.attempts.push(...updates.map((u) => u.sku));
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

export interface FakeSyncHub {
  db: TestDatabase;
  app: INestApplicationContext;
  inv: InventoryService;
  ds: DataSource;
}

/**
 * A sync worker (InventoryWorkerModule: relay, sweep, delivery) on a fresh test database, pushing to
 * in-memory channels instead of the partner sandbox (startSyncHub in sync-harness uses the sandbox).
 * `env` (INVENTORY_* timings) is applied before the module reads its config.
 */
export async function startFakeSyncHub(
  label: string,
  channels: FakeChannel[],
  env: Record<string, string>,
  credentials = new RecordingPartnerCredentials(),
): Promise<FakeSyncHub> {
  Object.assign(process.env, env);
  const db = await createTestDatabase(label);
  try {
    @Module({ imports: [CoreModule, fakeChannelsModule(channels, credentials), InventoryWorkerModule] })
    class FakeSyncHubModule {}
    const app = await NestFactory.createApplicationContext(FakeSyncHubModule, { logger: false });
    app.enableShutdownHooks();
    await app.init();
    return { db, app, inv: app.get(InventoryService), ds: app.get(DataSource) };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
