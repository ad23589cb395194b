import '../support/test-env';
import { type INestApplicationContext } from '@nestjs/common';
import { ChannelSyncControl, MetricsService } from '@hub/core';
import { allocate, InventoryConfig, InventoryService, OutboxRelay, Reconciler, SyncDelivery } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { waitUntil } from '../support/processes';
import { TestDatabase } from '../support/test-database';
import { BatchingFakeChannel, FakeChannel, RecordingPartnerCredentials, startFakeSyncHub } from './support/fake-channels';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inventory sync pipeline (outbox -> BullMQ -> channel adapters; real Postgres + Redis, fake adapters)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let inv: InventoryService;
  let ds: DataSource;
  // As in production: Amazon pushes one SKU per call, Nykaa and the storefront take bulk calls.
  const amazon = new FakeChannel('amazon');
  const nykaa = new BatchingFakeChannel('nykaa');
  const storefront = new BatchingFakeChannel('storefront');
  const creds = new RecordingPartnerCredentials();

  before(async () => {
    ({ db, app, inv, ds } = await startFakeSyncHub('invsync', [amazon, nykaa, storefront], {
      INVENTORY_BACKOFF_BASE_MS: '50',
      INVENTORY_SWEEP_AFTER_MS: '500',
      INVENTORY_OUTBOX_POLL_MS: '200',
      INVENTORY_RECONCILE_EVERY_MS: '3600000',
      // Wide enough that SKUs changed in one transaction always share a bulk call.
      INVENTORY_SYNC_BATCH_WINDOW_MS: '50',
    }, creds));
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });
  beforeEach(() => {
    for (const c of [amazon, nykaa, storefront]) c.clearFailures();
  });

  const publish = async (sku: string, stock: number, channels: FakeChannel[] = [amazon, nykaa, storefront]) => {
    await ds.transaction((m) => inv.ensureItem(m, sku, stock));
    // Let the creation's own outbox row go by first, so each test sees only the pushes it causes.
    await waitUntil(async () => (await ds.query(`SELECT count(*)::int AS n FROM inventory_outbox`))[0].n === 0);
    for (const c of channels) c.quantities.set(sku, await inv.quantityToPublish(sku, c.channel));
  };
  const available = async (sku: string) => (await inv.getLevel(sku))!.available;
  const converged = (sku: string, channels: FakeChannel[], expected: (c: FakeChannel) => number) =>
    waitUntil(() => channels.every((c) => c.quantities.get(sku) === expected(c)), 10_000, 20);

  it('coalesces a burst of 100 changes into a few pushes per channel carrying the latest value', async () => {
    await publish('BURST-1', 500);
    // Partners answer in tens of milliseconds; changes arriving meanwhile fold into the next push.
    for (const c of [amazon, nykaa, storefront]) c.latencyMs = 30;
    const before = [amazon, nykaa, storefront].map((c) => c.pushes.filter((p) => p.sku === 'BURST-1').length);
    await Promise.all(Array.from({ length: 100 }, () => inv.adjust('BURST-1', -1, 'burst', null)));
    assert.equal(await available('BURST-1'), 400);
    await converged('BURST-1', [amazon, nykaa, storefront], () => 400);
    await sleep(300);
    for (const [i, c] of [amazon, nykaa, storefront].entries()) {
      const pushes = c.pushes.filter((p) => p.sku === 'BURST-1').length - before[i];
      assert.ok(pushes >= 1 && pushes <= 15, `${c.channel}: ${pushes} pushes for 100 changes`);
      console.log(`${c.channel}: ${pushes} pushes for a burst of 100 changes`);
      assert.equal(c.pushes.filter((p) => p.sku === 'BURST-1').at(-1)!.quantity, 400, 'the last push carries the latest value');
      c.latencyMs = 0;
    }
    const [row] = await ds.query(`SELECT state, last_confirmed_quantity FROM inventory_channel_sync WHERE channel = 'amazon' AND sku = 'BURST-1'`);
    assert.deepEqual(row, { state: 'synced', last_confirmed_quantity: 400 });
  });

  it('applies per-channel allocation rules and never sends more than available', async () => {
    await inv.setChannelRule('amazon', { safetyBuffer: 2, maxQuantity: 7, percentage: 50 });
    try {
      await publish('RULE-1', 30);
      assert.equal(amazon.quantities.get('RULE-1'), 7, 'capped at maxQuantity');
      await inv.setOnHand('RULE-1', 10, null);
      await converged('RULE-1', [amazon, nykaa], (c) => (c === amazon ? 4 : 10));
      await inv.setOnHand('RULE-1', 1, null);
      await converged('RULE-1', [amazon, nykaa], (c) => (c === amazon ? 0 : 1));
      assert.equal(allocate(1, { safetyBuffer: 0, maxQuantity: null, percentage: 100 }), 1);
      assert.equal(allocate(-3, { safetyBuffer: 0, maxQuantity: null, percentage: 100 }), 0);
    } finally {
      await inv.setChannelRule('amazon', { safetyBuffer: 0, maxQuantity: null, percentage: 100 });
    }
  });

  it('pushes reservations and releases (available), not commits (available unchanged)', async () => {
    await publish('ORD-1', 10, [nykaa]);
    const pushes = () => nykaa.pushes.filter((p) => p.sku === 'ORD-1').length;
    await ds.transaction((m) => inv.reserve(m, { orderId: 'o1', channel: 'storefront', lines: [{ lineId: '1', sku: 'ORD-1', quantity: 4 }] }));
    await converged('ORD-1', [nykaa], () => 6);
    const afterReserve = pushes();
    await ds.transaction((m) => inv.commitReservations(m, 'o1'));
    await sleep(600);
    assert.equal(pushes(), afterReserve, 'a commit leaves available as it was: no push');
    assert.equal(await available('ORD-1'), 6);
  });

  it('does not push SKUs that are not published on a channel', async () => {
    await publish('ONLY-NYKAA', 5, [nykaa]);
    await inv.adjust('ONLY-NYKAA', 2, 'delivery', null);
    await converged('ONLY-NYKAA', [nykaa], () => 7);
    await sleep(300);
    assert.equal(amazon.quantities.has('ONLY-NYKAA'), false);
    assert.equal(amazon.pushes.some((p) => p.sku === 'ONLY-NYKAA'), false);
  });

  it('on a bulk channel, changes to many SKUs at once share a few calls', async () => {
    const skus = Array.from({ length: 40 }, (_, i) => `BULK-${i}`);
    for (const sku of skus) await publish(sku, 10, [nykaa, amazon]);
    const calls = nykaa.bulkCalls.length;
    const amazonPushes = amazon.pushes.length;
    await Promise.all(skus.map((sku) => inv.adjust(sku, -2, 'bulk', null)));
    for (const sku of skus) await converged(sku, [nykaa, amazon], () => 8);
    const used = nykaa.bulkCalls.slice(calls);
    assert.ok(used.length <= 10, `40 SKUs took ${used.length} bulk calls (${used.join(', ')} items)`);
    assert.ok(amazon.pushes.length - amazonPushes >= 40, 'Amazon, without a bulk endpoint, got one call per SKU');
    await waitUntil(async () => (await ds.query(`SELECT count(*)::int AS n FROM inventory_channel_sync WHERE channel = 'nykaa' AND sku LIKE 'BULK-%' AND state = 'synced' AND wanted_version <= synced_version`))[0].n === 40);
  });

  it('on a bulk channel, a rejected credential is reported once per call (not per SKU) and holds every SKU of it', async () => {
    const control = app.get(ChannelSyncControl);
    await publish('BCRED-1', 20, [nykaa]);
    await publish('BCRED-2', 20, [nykaa]);
    const reports = creds.rejected.length;
    const calls = nykaa.bulkCalls.length;
    // Two failures queued in case a loaded machine splits the two SKUs over two calls.
    nykaa.failNext('reject-credentials', 2);
    await ds.transaction(async (m) => {
      await inv.adjust('BCRED-1', -1, 'x', null, m);
      await inv.adjust('BCRED-2', -1, 'x', null, m);
    });
    await waitUntil(() => control.isPaused('nykaa'));
    await waitUntil(async () => (await ds.query(`SELECT count(*)::int AS n FROM inventory_channel_sync WHERE channel = 'nykaa' AND sku LIKE 'BCRED-%' AND state = 'paused'`))[0].n === 2);
    const callsMade = nykaa.bulkCalls.length - calls;
    assert.ok(callsMade >= 1 && callsMade <= 2, `${callsMade} bulk calls`);
    assert.equal(creds.rejected.length - reports, callsMade, 'one report per rejected call, not one per SKU');
    nykaa.clearFailures();
    await control.resume('nykaa');
    await converged('BCRED-1', [nykaa], () => 19);
    await converged('BCRED-2', [nykaa], () => 19);
  });

  it('bulk confirmations and the relay lock sync rows in the same order: no deadlock under contention', async () => {
    // bench:sync found seconds-long stalls: the relay locked (channel, sku) rows in order while a bulk
    // confirmation locked them in the order its jobs arrived. Here a confirmation in reverse SKU order
    // races the relay marking the same rows, over and over.
    const skus = Array.from({ length: 30 }, (_, i) => `LOCK-${String(i).padStart(2, '0')}`);
    for (const sku of skus) await publish(sku, 1000, [nykaa, storefront]);
    const delivery = app.get(SyncDelivery);
    const relayFailures = async () => Number(/^hub_inventory_outbox_relay_failures_total (\d+)/m.exec(await app.get(MetricsService).registry.metrics())?.[1] ?? 0);
    const failuresBefore = await relayFailures();
    const reversed = [...skus].reverse();
    for (let round = 0; round < 30; round++) {
      await Promise.all([
        ds.transaction(async (m) => {
          for (const sku of skus) await inv.adjust(sku, -1, 'lock order', null, m);
        }),
        delivery.syncMany('nykaa', reversed),
        delivery.syncMany('storefront', reversed),
      ]);
    }
    for (const sku of skus) await converged(sku, [nykaa, storefront], () => 970);
    assert.equal(await relayFailures(), failuresBefore, 'the relay never failed (a deadlock fails its pass)');
  });

  it('under a stream of commits, relay passes start INVENTORY_RELAY_GATHER_MS apart and each carries several changes', async () => {
    // Each commit wakes the relay; without the gather every wake was its own pass (four statements
    // and a Redis call for a row or two), which bench:sync measured at a third of a hot SKU's rate.
    await publish('GATHER-1', 10_000);
    const relay = app.get(OutboxRelay);
    const gather = app.get(InventoryConfig).INVENTORY_RELAY_GATHER_MS;
    assert.ok(gather >= 5, `a gather interval to test (${gather} ms)`);
    const starts: number[] = [];
    const drainNow = relay.drainNow.bind(relay);
    relay.drainNow = () => {
      starts.push(Date.now());
      return drainNow();
    };
    try {
      const changes = 150;
      for (let i = 0; i < changes; i++) await inv.adjust('GATHER-1', -1, 'stream', null);
      await converged('GATHER-1', [amazon, nykaa, storefront], () => 10_000 - changes);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]);
      // The relay reads the clock a moment before this wrapper does: a millisecond may fall between.
      assert.ok(gaps.every((g) => g >= gather - 1), `passes ${gather} ms apart, gaps: ${gaps.join(' ')}`);
      assert.ok(starts.length <= changes / 3, `${starts.length} relay passes for ${changes} commits`);
      console.log(`${starts.length} relay passes for ${changes} commits in a row`);
    } finally {
      relay.drainNow = drainNow;
    }
  });

  it('retries a rate-limited push no sooner than Retry-After, then converges', async () => {
    await publish('RL-1', 10, [nykaa]);
    nykaa.failNext('rate-limit', 1, 700);
    const t0 = Date.now();
    await inv.adjust('RL-1', 5, 'delivery', null);
    await converged('RL-1', [nykaa], () => 15);
    const push = nykaa.pushes.filter((p) => p.sku === 'RL-1').at(-1)!;
    assert.ok(push.at - t0 >= 650, `retried after ${push.at - t0} ms; Retry-After was 700 ms`);
  });

  it('retries transient failures with backoff until the channel takes the update', async () => {
    await publish('FLAKY-1', 10, [storefront]);
    storefront.failNext('unavailable', 3);
    await inv.adjust('FLAKY-1', -4, 'damaged', null);
    await converged('FLAKY-1', [storefront], () => 6);
    // The channel shows the value a moment before the confirmation is recorded.
    await waitUntil(async () => {
      const [row] = await ds.query(`SELECT state, last_error FROM inventory_channel_sync WHERE channel = 'storefront' AND sku = 'FLAKY-1'`);
      return row.state === 'synced' && row.last_error === null;
    }, 5_000);
  });

  it('marks a push the channel refuses as failed without retrying it', async () => {
    await publish('REFUSED-1', 10, [storefront]);
    storefront.failNext('refuse', 1);
    const before = storefront.pushes.length;
    await inv.adjust('REFUSED-1', -1, 'x', null);
    const row = await waitUntil(async () => {
      const [r] = await ds.query(`SELECT state, last_error FROM inventory_channel_sync WHERE channel = 'storefront' AND sku = 'REFUSED-1'`);
      return r.state === 'failed' ? r : undefined;
    });
    assert.match(row.last_error, /listing does not exist/);
    await sleep(400);
    assert.equal(storefront.pushes.length, before, 'not retried');
  });

  it('on a rejected credential: reports it, pauses the channel, holds updates, and replays the latest on resume', async () => {
    const control = app.get(ChannelSyncControl);
    await publish('CRED-1', 20, [amazon, nykaa]);
    await publish('CRED-2', 20, [amazon]);
    amazon.failNext('reject-credentials', 1);
    await inv.adjust('CRED-1', -1, 'x', null);
    await waitUntil(() => control.isPaused('amazon'));
    assert.deepEqual(creds.rejected.at(-1), { partner: 'amazon', version: 3, reason: 'invalid_client' });
    assert.deepEqual((await control.pausedChannels()).map((p) => p.channel), ['amazon']);
    const amazonPushes = amazon.pushes.length;
    for (let i = 0; i < 5; i++) await inv.adjust('CRED-1', -1, 'while paused', null);
    await inv.adjust('CRED-2', -3, 'while paused', null);
    await converged('CRED-1', [nykaa], () => 14);
    await sleep(800);
    assert.equal(amazon.pushes.length, amazonPushes, 'nothing sent to a paused channel');
    const [row] = await ds.query(`SELECT state, wanted_version > synced_version AS held FROM inventory_channel_sync WHERE channel = 'amazon' AND sku = 'CRED-1'`);
    assert.deepEqual(row, { state: 'paused', held: true });
    const view = await inv.channelStock('CRED-1');
    assert.equal(view.find((c) => c.channel === 'amazon')!.state, 'paused');

    await control.resume('amazon');
    await converged('CRED-1', [amazon], () => 14);
    await converged('CRED-2', [amazon], () => 17);
    assert.equal(await control.isPaused('amazon'), false);
    assert.ok(amazon.pushes.length - amazonPushes <= 4, 'held updates were replayed as the latest values, not one by one');
  });

  it('reconciliation reads quantities back, repairs drift and counts it in metrics', async () => {
    await publish('DRIFT-1', 9, [nykaa]);
    await publish('DRIFT-2', 4, [nykaa]);
    nykaa.quantities.set('DRIFT-1', 42); // someone edited the listing by hand
    const report = await app.get(Reconciler).reconcileChannel('nykaa');
    assert.ok(report.drifted >= 1, JSON.stringify(report));
    await converged('DRIFT-1', [nykaa], () => 9);
    assert.equal(nykaa.quantities.get('DRIFT-2'), 4);
    const metrics = await app.get(MetricsService).registry.metrics();
    assert.match(metrics, /hub_inventory_reconcile_drift_fixed_total\{channel="nykaa"\} [1-9]/);
    const [row] = await ds.query(`SELECT last_confirmed_quantity FROM inventory_channel_sync WHERE channel = 'nykaa' AND sku = 'DRIFT-2'`);
    assert.equal(row.last_confirmed_quantity, 4, 'a matching read-back records the confirmed quantity');
  });
});
