import '../support/test-env';
import type { INestApplicationContext } from '@nestjs/common';
import { InventoryService } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { applyRules, divergent, publishEverywhere, RunningSandbox, startSandbox, startSyncHub } from './support/sync-harness';

const SKUS = Array.from({ length: 10 }, (_, i) => `REDIS-${i}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis down while stock changes: changes commit, the outbox holds them, channels catch up after', () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let sb: RunningSandbox;
  let hub: INestApplicationContext;
  let ds: DataSource;
  let inv: InventoryService;

  before(async () => {
    redis = await startPrivateRedis();
    Object.assign(process.env, {
      REDIS_URL: redis.url,
      INVENTORY_OUTBOX_POLL_MS: '200',
      INVENTORY_SWEEP_AFTER_MS: '1000',
      INVENTORY_RECONCILE_EVERY_MS: '3600000',
      INVENTORY_REDIS_TIMEOUT_MS: '500',
    });
    db = await createTestDatabase('invredis');
    sb = await startSandbox();
    hub = await startSyncHub();
    ds = hub.get(DataSource);
    inv = hub.get(InventoryService, { strict: false });
    await applyRules(hub);
    for (const sku of SKUS) await publishEverywhere(hub, sku, 30);
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 30_000, 200);
  });
  after(async () => {
    await redis?.start().catch(() => undefined);
    await hub?.close();
    await sb?.sandbox.close();
    await redis?.stop();
    await db?.drop();
  });

  it('nothing is lost, and the outage is logged, not dumped on stderr', async () => {
    // ioredis and BullMQ print every failed reconnect with console.error when nothing listens for
    // their errors: the hub's own clients, queues and workers all must.
    const stderr: string[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void stderr.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    try {
      await outage();
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(stderr.filter((l) => /Unhandled error event|ECONNREFUSED/.test(l)), []);
  });

  async function outage() {
    await redis.stop();
    const t0 = Date.now();
    for (const [i, sku] of SKUS.entries()) {
      await inv.adjust(sku, -(i + 1), 'sold in the shop while Redis was down', null);
      await ds.transaction((m) => inv.reserve(m, { orderId: `rd-${i}`, channel: 'storefront', lines: [{ lineId: '1', sku, quantity: 1 }] }));
    }
    assert.ok(Date.now() - t0 < 5_000, 'stock changes do not wait for Redis');
    await sleep(1500);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inventory_outbox`);
    assert.ok(n >= SKUS.length, `the outbox holds the changes (${n} rows)`);
    assert.equal((await divergent(sb.url, ds, SKUS)).nykaa.length, SKUS.length, 'channels have not seen them yet');

    await redis.start();
    const back = Date.now();
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 30_000, 100).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify(await divergent(sb.url, ds, SKUS))}`);
    });
    console.log(`channels converged ${Date.now() - back} ms after Redis came back`);
    const [{ left }] = await ds.query(`SELECT count(*)::int AS left FROM inventory_outbox`);
    assert.equal(left, 0);
  }
});
