import '../support/test-env';
import { type INestApplicationContext } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { InventoryService, OutboxRelay, syncQueueName } from '@hub/inventory';
import type { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { waitUntil } from '../support/processes';
import { TestDatabase } from '../support/test-database';
import { FakeChannel, startFakeSyncHub } from './support/fake-channels';

describe('inventory sync: pushes that fail for good are not repeated every sweep; ones that may pass still are', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let inv: InventoryService;
  let ds: DataSource;
  let relay: OutboxRelay;
  let queue: Queue;
  let timeColumns: string[];
  // Refusals (ListingRejectedError) and outages (PartnerUnavailableError) are injected per SKU; `attempts` counts every try.
  const amazon = new FakeChannel('amazon');

  before(async () => {
    ({ db, app, inv, ds } = await startFakeSyncHub('invperm', [amazon], {
      INVENTORY_BACKOFF_BASE_MS: '20',
      INVENTORY_BACKOFF_MAX_MS: '100',
      INVENTORY_SYNC_ATTEMPTS: '3',
      INVENTORY_SWEEP_AFTER_MS: '500',
      INVENTORY_OUTBOX_POLL_MS: '200',
      INVENTORY_RECONCILE_EVERY_MS: '3600000',
    }));
    relay = app.get(OutboxRelay);
    queue = app.get<Queue>(getQueueToken(syncQueueName('amazon')), { strict: false });
    timeColumns = (
      await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'inventory_channel_sync' AND data_type = 'timestamp with time zone'`)
    ).map((r: { column_name: string }) => r.column_name);
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  const publish = async (sku: string, stock: number) => {
    await ds.transaction((m) => inv.ensureItem(m, sku, stock));
    await waitUntil(async () => (await ds.query(`SELECT count(*)::int AS n FROM inventory_outbox`))[0].n === 0);
    amazon.quantities.set(sku, await inv.quantityToPublish(sku, 'amazon'));
  };
  const row = async (sku: string) => (await ds.query(`SELECT state, wanted_version > synced_version AS dirty FROM inventory_channel_sync WHERE channel = 'amazon' AND sku = $1`, [sku]))[0];
  const attemptsFor = (sku: string) => amazon.attempts.filter((s) => s === sku).length;
  const idle = () => waitUntil(async () => {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return c.waiting + c.active + c.delayed + c.prioritized === 0;
  }, 5000, 10);
  /** Lets `seconds` pass for one row: every timestamp it holds moves back, then a sweep runs. */
  const elapse = async (sku: string, seconds: number) => {
    await ds.query(
      `UPDATE inventory_channel_sync SET ${timeColumns.map((c) => `${c} = ${c} - make_interval(secs => $2)`).join(', ')} WHERE channel = 'amazon' AND sku = $1`,
      [sku, seconds],
    );
    await relay.sweep();
    await idle();
  };

  it('a push the channel refuses is retried less and less often over half an hour, not every 30 s sweep', async () => {
    await publish('PERM-1', 10);
    amazon.failNextFor('PERM-1', 'refuse', Infinity);
    await inv.adjust('PERM-1', -1, 'damaged', null);
    await waitUntil(async () => (await row('PERM-1'))?.state === 'failed');
    await idle();
    assert.equal(attemptsFor('PERM-1'), 1, 'a refusal is not retried by the job');

    // Thirty minutes in 31 s steps: a sweep every step would push 58 more times.
    for (let i = 0; i < 58; i++) await elapse('PERM-1', 31);
    const repushes = attemptsFor('PERM-1') - 1;
    console.log(`# ${repushes} re-pushes of a refused row over 30 simulated minutes`);
    assert.ok(repushes >= 1, 'a refused row is still tried again now and then');
    assert.ok(repushes <= 8, `${repushes} re-pushes in 30 minutes`);
    assert.deepEqual(await row('PERM-1'), { state: 'failed', dirty: true });
  });

  it('a new stock change still goes out at once, whatever the back-off, and a delivered push starts it over', async () => {
    // The listing exists again (fixed on the channel's side) in the middle of a long wait.
    amazon.clearFailures('PERM-1');
    const before = attemptsFor('PERM-1');
    await inv.adjust('PERM-1', -2, 'damaged', null);
    await waitUntil(() => amazon.quantities.get('PERM-1') === 7, 3000);
    await waitUntil(async () => (await row('PERM-1')).state === 'synced');
    assert.ok(attemptsFor('PERM-1') - before <= 2);

    // Refused once more: the wait is back to the first step (30 s), not the long one it had reached.
    amazon.failNextFor('PERM-1', 'refuse', Infinity);
    await inv.adjust('PERM-1', -1, 'damaged', null);
    await waitUntil(async () => (await row('PERM-1')).state === 'failed');
    await idle();
    const refusedAt = attemptsFor('PERM-1');
    amazon.clearFailures('PERM-1');
    await elapse('PERM-1', 31);
    assert.equal(attemptsFor('PERM-1'), refusedAt + 1, 'retried at the first step of the back-off');
    assert.equal(amazon.quantities.get('PERM-1'), 6);
    assert.deepEqual(await row('PERM-1'), { state: 'synced', dirty: false });
  });

  it('a push that failed only because the channel was down is retried at every sweep (30 s), however often it failed', async () => {
    await publish('DOWN-1', 10);
    amazon.failNextFor('DOWN-1', 'unavailable', Infinity);
    await inv.adjust('DOWN-1', -4, 'damaged', null);
    await waitUntil(async () => (await row('DOWN-1'))?.state === 'failed', 5000);
    await idle();
    for (let round = 1; round <= 6; round++) {
      const before = attemptsFor('DOWN-1');
      await elapse('DOWN-1', 31);
      assert.ok(attemptsFor('DOWN-1') > before, `outage round ${round}: tried again at the sweep`);
      assert.equal((await row('DOWN-1')).state, 'failed');
    }
    amazon.clearFailures('DOWN-1');
    await elapse('DOWN-1', 31);
    assert.equal(amazon.quantities.get('DOWN-1'), 6, 'delivered at the first sweep after the outage');
    assert.deepEqual(await row('DOWN-1'), { state: 'synced', dirty: false });
  });
});
