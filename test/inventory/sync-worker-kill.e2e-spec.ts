import '../support/test-env';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CoreModule, EnvPartnerCredentialsModule } from '@hub/core';
import { ChannelsModule } from '@hub/channels';
import { InventoryModule, syncQueueName } from '@hub/inventory';
import { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { spawnEntry, Spawned, waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env';
import { applyRules, divergent, prng, publishEverywhere, randomChange, RunningSandbox, startSandbox } from './support/sync-harness';

const SKUS = Array.from({ length: 20 }, (_, i) => `KILL-${String(i).padStart(2, '0')}`);

describe('a worker killed with SIGKILL mid-sync loses no update', () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  let api: INestApplicationContext;
  let ds: DataSource;
  let worker: Spawned | null = null;
  let nykaaQueue: Queue;

  const startWorkerProcess = async () => {
    const w = spawnEntry('apps/worker/src/main.js', testEnv({ ...sb.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn', INVENTORY_BACKOFF_BASE_MS: '100', INVENTORY_SWEEP_AFTER_MS: '1000' }));
    await w.waitFor(/worker started/, 30_000);
    return w;
  };

  before(async () => {
    Object.assign(process.env, { INVENTORY_OUTBOX_POLL_MS: '200', INVENTORY_SWEEP_AFTER_MS: '1000', INVENTORY_RECONCILE_EVERY_MS: '3600000' });
    db = await createTestDatabase('invkill');
    sb = await startSandbox();
    // The api side: stock changes, the outbox relay, and adapters only to create the listings.
    @Module({ imports: [CoreModule, EnvPartnerCredentialsModule, ChannelsModule, InventoryModule] })
    class ApiSide {}
    api = await NestFactory.createApplicationContext(ApiSide, { logger: false, abortOnError: false });
    await api.init();
    ds = api.get(DataSource);
    await applyRules(api);
    for (const sku of SKUS) await publishEverywhere(api, sku, 50);
    const u = new URL(process.env.REDIS_URL!);
    nykaaQueue = new Queue(syncQueueName('nykaa'), { connection: { host: u.hostname, port: Number(u.port) }, prefix: `${process.env.REDIS_PREFIX}:bull` });
  });
  after(async () => {
    await worker?.kill('SIGKILL');
    await nykaaQueue?.close();
    await api?.close();
    await sb?.sandbox.close();
    await db?.drop();
  });

  it('after a restart every channel converges on the latest stock', async () => {
    worker = await startWorkerProcess();
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 30_000, 200);

    // Slow partners so the kill lands while pushes are in flight.
    for (const partner of ['nykaa', 'amazon']) {
      await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partner, kind: 'latency', ms: 400 }) });
    }
    const rnd = prng(7);
    let i = 0;
    const change = async () => randomChange(api, SKUS[Math.floor(rnd() * SKUS.length)], i++, rnd);
    for (let n = 0; n < 60; n++) await change();
    await waitUntil(async () => (await nykaaQueue.getActiveCount()) > 0, 10_000, 10);
    const killedWhileActive = await nykaaQueue.getActiveCount();
    await worker.kill('SIGKILL');
    worker = null;
    // Changes keep committing while no worker runs.
    for (let n = 0; n < 60; n++) await change();
    assert.ok(Object.values(await divergent(sb.url, ds, SKUS)).some((l) => l.length > 0), 'channels are behind while the worker is down');

    await fetch(`${sb.url}/_sandbox/faults`, { method: 'DELETE' });
    const restarted = Date.now();
    worker = await startWorkerProcess();
    await waitUntil(async () => Object.values(await divergent(sb.url, ds, SKUS)).every((l) => l.length === 0), 45_000, 200).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify(await divergent(sb.url, ds, SKUS))}\n${worker?.output().slice(-2000)}`);
    });
    console.log(`killed with ${killedWhileActive} Nykaa push(es) in flight; all channels converged ${Date.now() - restarted} ms after the restart`);
    const [{ held }] = await ds.query(`SELECT count(*)::int AS held FROM inventory_channel_sync WHERE wanted_version > synced_version`);
    assert.equal(held, 0, 'no (channel, SKU) is left dirty');
  });
});
