import '../../support/test-env';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Channel, CHANNEL_ADAPTERS, ChannelAdapter, CoreModule, EnvPartnerCredentialsModule } from '@hub/core';
import { ChannelsModule } from '@hub/channels';
import { allocate, AllocationRule, InventoryService, InventoryWorkerModule } from '@hub/inventory';
import { DataSource } from 'typeorm';
import { createSandboxApp, Sandbox } from '../../../apps/partner-sandbox/src/create-sandbox-app';

export const SYNC_CHANNELS: Channel[] = ['amazon', 'nykaa', 'storefront'];

/** Rules that differ per channel, so the test proves each channel gets its own allocation. */
export const TEST_RULES: Record<Channel, AllocationRule> = {
  amazon: { safetyBuffer: 2, maxQuantity: null, percentage: 100 },
  nykaa: { safetyBuffer: 0, maxQuantity: 40, percentage: 50 },
  storefront: { safetyBuffer: 0, maxQuantity: null, percentage: 100 },
};

export interface RunningSandbox {
  sandbox: Sandbox;
  url: string;
  /** Environment pointing the channel adapters at this sandbox. */
  env: Record<string, string>;
}

/** The partner sandbox in this process on a free port, and the env that points adapters at it. */
export async function startSandbox(): Promise<RunningSandbox> {
  const sandbox = await createSandboxApp();
  const url = await sandbox.listen(0);
  const env = { AMAZON_LWA_URL: `${url}/auth/o2/token`, AMAZON_SPAPI_URL: url, NYKAA_API_URL: `${url}/nykaa`, HUB_CHANNELS: 'amazon,nykaa,storefront' };
  Object.assign(process.env, env);
  return { sandbox, url, env };
}

/** A worker-side hub (inventory sync + real channel adapters) in this process. */
export async function startSyncHub(): Promise<INestApplicationContext> {
  @Module({ imports: [CoreModule, EnvPartnerCredentialsModule, ChannelsModule, InventoryWorkerModule] })
  class SyncHubModule {}
  const app = await NestFactory.createApplicationContext(SyncHubModule, { logger: false, abortOnError: false });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/** Creates stock for `sku` and lists it on every channel with the quantity inventory allocates. */
export async function publishEverywhere(app: INestApplicationContext, sku: string, onHand: number): Promise<void> {
  const inv = app.get(InventoryService, { strict: false });
  const ds = app.get(DataSource);
  const adapters = app.get<ChannelAdapter[]>(CHANNEL_ADAPTERS, { strict: false });
  await ds.transaction((m) => inv.ensureItem(m, sku, onHand));
  for (const a of adapters) {
    const quantity = await inv.quantityToPublish(sku, a.channel);
    for (let attempt = 0; ; attempt++) {
      try {
        await a.publishListing({ sku, name: `Test ${sku}`, description: 'sync test product', category: 'skincare', price: '499.00', currency: 'INR', imageUrl: `https://res.cloudinary.com/novaskin-test/image/upload/${encodeURIComponent(sku)}.jpg`, quantity });
        break;
      } catch (err) {
        // Amazon throttles at 5/s; the adapter paces itself but a burst can still meet a 429.
        if (attempt > 20) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }
}

export async function applyRules(app: INestApplicationContext): Promise<void> {
  const inv = app.get(InventoryService, { strict: false });
  for (const c of SYNC_CHANNELS) await inv.setChannelRule(c, TEST_RULES[c]);
}

/** What each channel shows right now: sandbox state for Amazon and Nykaa, our table for the storefront. */
export async function channelQuantities(sandboxUrl: string, ds: DataSource, skus: string[]): Promise<Record<Channel, Map<string, number | undefined>>> {
  const state: any = await (await fetch(`${sandboxUrl}/_sandbox/state`)).json();
  const rows: { sku: string; quantity: number }[] = await ds.query(`SELECT sku, quantity FROM storefront_listings WHERE sku = ANY($1)`, [skus]);
  const store = new Map(rows.map((r) => [r.sku, r.quantity]));
  const amazonQty = (sku: string): number | undefined => {
    const l = state.amazon?.listings?.[sku];
    if (!l) return undefined;
    if (typeof l.quantity === 'number') return l.quantity;
    const fa = l.attributes?.fulfillment_availability?.[0]?.quantity;
    return typeof fa === 'number' ? fa : undefined;
  };
  return {
    amazon: new Map(skus.map((s) => [s, amazonQty(s)])),
    nykaa: new Map(skus.map((s) => [s, state.nykaa?.listings?.[s]?.quantity])),
    storefront: new Map(skus.map((s) => [s, store.get(s)])),
  };
}

/** SKUs (per channel) whose shown quantity differs from the allocation of what is available now. */
export async function divergent(sandboxUrl: string, ds: DataSource, skus: string[]): Promise<Record<Channel, string[]>> {
  const shown = await channelQuantities(sandboxUrl, ds, skus);
  const rows: { sku: string; available: number }[] = await ds.query(`SELECT sku, on_hand - reserved AS available FROM inventory_items WHERE sku = ANY($1)`, [skus]);
  const avail = new Map(rows.map((r) => [r.sku, Number(r.available)]));
  const out = { amazon: [], nykaa: [], storefront: [] } as Record<Channel, string[]>;
  for (const c of SYNC_CHANNELS) for (const s of skus) if (shown[c].get(s) !== allocate(avail.get(s) ?? 0, TEST_RULES[c])) out[c].push(s);
  return out;
}

/** Partner calls so far: every request the sandbox saw for Amazon and Nykaa plus storefront pushes. */
export async function partnerCalls(sandboxUrl: string, ds: DataSource): Promise<{ amazon: number; nykaa: number; storefront: number }> {
  const state: any = await (await fetch(`${sandboxUrl}/_sandbox/state`)).json();
  const sum = (o: Record<string, number> | undefined) => Object.entries(o ?? {}).filter(([k]) => k !== 'throttled').reduce((a, [, v]) => a + v, 0);
  const [{ n }] = await ds.query(`SELECT COALESCE(sum(push_count), 0)::int AS n FROM inventory_channel_sync WHERE channel = 'storefront'`);
  return { amazon: sum(state.amazon?.requests), nykaa: sum(state.nykaa?.requests), storefront: n };
}

/** One random stock change through the service; refusals (not enough stock) count as changes tried. */
export async function randomChange(app: INestApplicationContext, sku: string, i: number, rnd: () => number): Promise<boolean> {
  const inv = app.get(InventoryService, { strict: false });
  const ds = app.get(DataSource);
  const r = rnd();
  try {
    if (r < 0.35) await inv.adjust(sku, Math.ceil(rnd() * 5) * (rnd() < 0.5 ? -1 : 1), 'random', null);
    else if (r < 0.5) await inv.setOnHand(sku, 20 + Math.floor(rnd() * 60), null);
    else if (r < 0.75) await ds.transaction((m) => inv.reserve(m, { orderId: `chg-${i}`, channel: 'storefront', lines: [{ lineId: '1', sku, quantity: 1 + Math.floor(rnd() * 3) }] }));
    else if (r < 0.9) await ds.transaction((m) => inv.releaseReservations(m, `chg-${Math.floor(rnd() * i)}`, 'random'));
    else await ds.transaction((m) => inv.sellDirect(m, { orderId: `mkt-${i}`, channel: 'nykaa', lines: [{ lineId: '1', sku, quantity: 1 }] }));
    return true;
  } catch (err) {
    if ([409, 422].includes((err as { status?: number }).status ?? 0)) return false;
    throw err;
  }
}

/** A small deterministic PRNG so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
