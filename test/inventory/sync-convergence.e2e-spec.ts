import '../support/test-env';
import type { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { applyRules, divergent, partnerCalls, prng, publishEverywhere, randomChange, RunningSandbox, startSandbox, startSyncHub, SYNC_CHANNELS } from './support/sync-harness';

const SKUS = Array.from({ length: 50 }, (_, i) => `CONV-${String(i).padStart(2, '0')}`);
const CHANGES = 1000;
/** Amazon's Listings API (and the sandbox) allow 5 calls/s; one push per dirty SKU needs this long at most. */
const AMAZON_DRAIN_MS = Math.ceil(SKUS.length / 5) * 1000;

describe('every channel converges on the allocation of available stock (partner sandbox over HTTP)', () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  let hub: INestApplicationContext;
  let ds: DataSource;

  before(async () => {
    Object.assign(process.env, { INVENTORY_OUTBOX_POLL_MS: '200', INVENTORY_SWEEP_AFTER_MS: '1000', INVENTORY_RECONCILE_EVERY_MS: '3600000', INVENTORY_BACKOFF_BASE_MS: '100' });
    db = await createTestDatabase('invconv');
    sb = await startSandbox();
    hub = await startSyncHub();
    ds = hub.get(DataSource);
    await applyRules(hub);
    for (const sku of SKUS) await publishEverywhere(hub, sku, 40);
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 30_000, 200);
  });
  after(async () => {
    await hub?.close();
    await sb?.sandbox.close();
    await db?.drop();
  });

  it(`${CHANGES} random changes over ${SKUS.length} SKUs: every channel matches within 5 s of the last change (Amazon: its rate limit permitting)`, async () => {
    const rnd = prng(20261127);
    const calls0 = await partnerCalls(sb.url, ds);
    let next = 0;
    // Ten writers, as fast as Postgres takes them.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < CHANGES) {
          const i = next++;
          await randomChange(hub, SKUS[Math.floor(rnd() * SKUS.length)], i, rnd);
        }
      }),
    );
    const lastChange = Date.now();
    const convergedAt: Partial<Record<string, number>> = {};
    await waitUntil(
      async () => {
        const d = await divergent(sb.url, ds, SKUS);
        for (const c of SYNC_CHANNELS) if (!d[c].length && convergedAt[c] === undefined) convergedAt[c] = Date.now() - lastChange;
        return SYNC_CHANNELS.every((c) => convergedAt[c] !== undefined);
      },
      5_000 + AMAZON_DRAIN_MS + 2_000,
      50,
    ).catch(async (err) => {
      throw new Error(`${err.message}; still divergent: ${JSON.stringify(await divergent(sb.url, ds, SKUS))}`);
    });
    const calls1 = await partnerCalls(sb.url, ds);
    const per = (c: 'amazon' | 'nykaa' | 'storefront') => ((calls1[c] - calls0[c]) / CHANGES).toFixed(3);
    console.log(
      `convergence after the last of ${CHANGES} changes: ${SYNC_CHANNELS.map((c) => `${c} ${convergedAt[c]} ms`).join(', ')}; ` +
        `partner calls per change: amazon ${per('amazon')}, nykaa ${per('nykaa')}, storefront ${per('storefront')}, ` +
        `total ${((calls1.amazon + calls1.nykaa + calls1.storefront - calls0.amazon - calls0.nykaa - calls0.storefront) / CHANGES).toFixed(3)}`,
    );
    assert.ok(convergedAt.nykaa! <= 5_000, `nykaa converged ${convergedAt.nykaa} ms after the last change`);
    assert.ok(convergedAt.storefront! <= 5_000, `storefront converged ${convergedAt.storefront} ms after the last change`);
    assert.ok(convergedAt.amazon! <= 5_000 + AMAZON_DRAIN_MS, `amazon converged ${convergedAt.amazon} ms after the last change`);
    // Coalescing: far fewer pushes than changes on every channel.
    for (const c of SYNC_CHANNELS) assert.ok(calls1[c] - calls0[c] < CHANGES, `${c}: ${calls1[c] - calls0[c]} calls for ${CHANGES} changes`);
    const [{ bad }] = await ds.query(`SELECT count(*)::int AS bad FROM inventory_items WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand`);
    assert.equal(bad, 0);
  });
});
