// npm run bench:sync [-- --hot-only] [-- --rate 500 --seconds 20 --warmup-seconds 3 --skus 200 --latency 50 --jitter 10 --hot-seconds 5]
//
// Stock changes at a steady rate from this process (the api side: InventoryService + outbox relay)
// while the real worker (apps/worker, a child process) pushes them to the partner sandbox (in this
// process, with a latency fault on every partner call) and the storefront table, on a fresh
// database. Prints commit -> channel confirmation latency (minus the injected partner latency),
// partner calls per change, queue depth over time, and hot-SKU reservations per second.
//
// Confirmation times are taken where the channel sees them: the sandbox's request/response hooks
// (Amazon, Nykaa) and a trigger on storefront_listings (the storefront channel is our own table).
import '../test/support/test-env';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Channel, CoreModule, EnvPartnerCredentialsModule } from '@hub/core';
import { ChannelsModule } from '@hub/channels';
import { InventoryConfig, InventoryModule, InventoryService, syncQueueName } from '@hub/inventory';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { createSandboxApp } from '../apps/partner-sandbox/src/create-sandbox-app';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { freePort, spawnEntry, waitUntil } from '../test/support/processes';
import { createTestDatabase } from '../test/support/test-database';
import { testEnv } from '../test/support/test-env';
import { applyRules, divergent, partnerCalls, publishEverywhere, SYNC_CHANNELS } from '../test/inventory/support/sync-harness';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 20);
const SKU_COUNT = arg('skus', 200);
const LATENCY = arg('latency', 50);
const JITTER = arg('jitter', 10);
const HOT_SECONDS = arg('hot-seconds', 5);
/** Changes at the same rate before the measured ones, so the JIT, the pools and the queues are warm. */
const WARMUP_SECONDS = arg('warmup-seconds', 3);
/** `--hot-only`: skip the sync pipeline and measure hot-SKU reservations alone. */
const HOT_ONLY = process.argv.includes('--hot-only');

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms (n=${xs.length})`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Push {
  start: number;
  end: number;
}

async function main() {
  process.env.LOG_LEVEL = 'silent';
  Object.assign(process.env, { INVENTORY_OUTBOX_POLL_MS: '200', INVENTORY_RECONCILE_EVERY_MS: '3600000', DB_POOL_SIZE: '40' });
  const db = await createTestDatabase('benchsync');

  // Sandbox with hooks that record, per channel and SKU, when each quantity update arrived and was answered.
  const pushes = new Map<string, Push[]>();
  const record = (channel: Channel, sku: string, p: Push) => {
    const key = `${channel}|${sku}`;
    if (!pushes.has(key)) pushes.set(key, []);
    pushes.get(key)!.push(p);
  };
  const sandbox = await createSandboxApp();
  sandbox.app.addHook('onRequest', async (req) => {
    (req as unknown as { benchAt: number }).benchAt = Date.now();
  });
  sandbox.app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 300) return;
    const path = req.url.split('?')[0];
    const nykaa = req.method === 'PUT' && /^\/nykaa\/v1\/sellers\/[^/]+\/inventory\/([^/]+)$/.exec(path);
    const amazon = req.method === 'PATCH' && /^\/listings\/2021-08-01\/items\/[^/]+\/([^/]+)$/.exec(path);
    if (req.method === 'PUT' && /^\/nykaa\/v1\/sellers\/[^/]+\/inventory$/.test(path)) {
      // Bulk call: every SKU in it was confirmed when the response went out.
      const items = (req.body as { items?: { sku: string }[] } | undefined)?.items ?? [];
      for (const it of items) record('nykaa', it.sku, { start: (req as unknown as { benchAt: number }).benchAt, end: Date.now() });
      return;
    }
    const m = nykaa || amazon;
    if (m) record(nykaa ? 'nykaa' : 'amazon', decodeURIComponent(m[1]), { start: (req as unknown as { benchAt: number }).benchAt, end: Date.now() });
  });
  const sbUrl = await sandbox.listen(0);
  const sbEnv = { AMAZON_LWA_URL: `${sbUrl}/auth/o2/token`, AMAZON_SPAPI_URL: sbUrl, NYKAA_API_URL: `${sbUrl}/nykaa`, HUB_CHANNELS: 'amazon,nykaa,storefront' };
  Object.assign(process.env, sbEnv);

  // The api side in this process: stock writes, the outbox relay, and adapters to create the listings.
  @Module({ imports: [CoreModule, EnvPartnerCredentialsModule, ChannelsModule, InventoryModule] })
  class BenchApiSide {}
  const hub = await NestFactory.createApplicationContext(BenchApiSide, { logger: false, abortOnError: false });
  await hub.init();
  const ds = hub.get(DataSource);
  const inv = hub.get(InventoryService, { strict: false });
  const skus = Array.from({ length: SKU_COUNT }, (_, i) => `BENCH-${String(i).padStart(4, '0')}`);

  if (!HOT_ONLY) {
    await applyRules(hub);
    process.stdout.write(`publishing ${SKU_COUNT} SKUs on ${SYNC_CHANNELS.join(', ')} (Amazon allows 5 calls/s, so this takes a while)...\n`);
    for (const sku of skus) await publishEverywhere(hub, sku, 10_000);
    await ds.query(`CREATE TABLE bench_storefront_pushes (sku text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await ds.query(`CREATE FUNCTION bench_storefront_push() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO bench_storefront_pushes (sku) VALUES (NEW.sku); RETURN NEW; END $$`);
    await ds.query(`CREATE TRIGGER bench_storefront_push AFTER UPDATE OF quantity ON storefront_listings FOR EACH ROW EXECUTE FUNCTION bench_storefront_push()`);

    const workerMetricsPort = await freePort();
    const worker = spawnEntry('apps/worker/src/main.js', testEnv({ ...sbEnv, DATABASE_URL: db.url, LOG_LEVEL: 'error', WORKER_METRICS_PORT: String(workerMetricsPort) }));
    await worker.waitFor(/worker started/, 60_000);
    await waitUntil(async () => Object.values(await divergent(sbUrl, ds, skus)).every((l) => l.length === 0), 120_000, 500);
    await fetch(`${sbUrl}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partner: '*', kind: 'latency', ms: LATENCY, jitterMs: JITTER }) });
    pushes.clear();
    await ds.query(`TRUNCATE bench_storefront_pushes`);

    const queues = SYNC_CHANNELS.map((c) => hub.get<Queue>(getQueueToken(syncQueueName(c)), { strict: false }));
    const depth: string[] = [];
    // Stalls, where they come from: the longest event-loop delay of this process (load, relay,
    // sandbox) and of the worker (its prom-client gauge, reset at every scrape), and the worker's GC.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let gcBefore = 0;
    const sampler = setInterval(async () => {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'delayed', 'active', 'prioritized')));
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inventory_outbox`);
      const metrics = await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`).then((r) => r.text(), () => '');
      const workerLag = Number(/^hub_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN) * 1000;
      const gc = [...metrics.matchAll(/^hub_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
      const lag = `loop max: here ${(loop.max / 1e6).toFixed(0)} ms, worker ${workerLag.toFixed(0)} ms, worker GC ${((gc - gcBefore) * 1000).toFixed(0)} ms`;
      gcBefore = gc;
      loop.reset();
      depth.push(`${SYNC_CHANNELS.map((c, i) => `${c} ${Object.values(counts[i]).reduce((a, b) => a + b, 0)}`).join(', ')}, outbox ${n}; ${lag}`);
    }, 1000);

    let inflight = 0;
    let errors = 0;
    /** Open-loop pacing: change i is due at i / RATE seconds, whatever happened to the others. */
    const drive = async (seconds: number, committed: (sku: string, at: number) => void) => {
      const started = Date.now();
      const total = RATE * seconds;
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / RATE;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        const sku = skus[Math.floor(Math.random() * skus.length)];
        inflight++;
        const delta = (Math.random() < 0.5 ? -1 : 1) * (1 + Math.floor(Math.random() * 3));
        inv
          .adjust(sku, delta, 'bench', null)
          .then(() => committed(sku, Date.now()))
          .catch(() => errors++)
          .finally(() => inflight--);
      }
      while (inflight) await sleep(10);
    };
    if (WARMUP_SECONDS > 0) {
      // Not measured: the same load, then a pause until Nykaa and the storefront have caught up
      // (Amazon, at 5 calls/s, stays behind whatever we wait for).
      process.stdout.write(`warming up: ${RATE} changes/s for ${WARMUP_SECONDS} s...\n`);
      await drive(WARMUP_SECONDS, () => undefined);
      await waitUntil(async () => {
        const d = await divergent(sbUrl, ds, skus);
        return d.nykaa.length === 0 && d.storefront.length === 0;
      }, 60_000, 100);
      errors = 0;
    }
    pushes.clear();
    await ds.query(`TRUNCATE bench_storefront_pushes`);
    depth.length = 0;

    const calls0 = await partnerCalls(sbUrl, ds);
    const commits: { sku: string; at: number }[] = [];
    const started = Date.now();
    process.stdout.write(`driving ${RATE} changes/s for ${SECONDS} s across ${SKU_COUNT} SKUs, partner latency ${LATENCY} ms +/- ${JITTER} ms...\n`);
    await drive(SECONDS, (sku, at) => commits.push({ sku, at }));
    const driveMs = Date.now() - started;
    const lastCommit = Math.max(...commits.map((c) => c.at));
    await waitUntil(async () => Object.values(await divergent(sbUrl, ds, skus)).every((l) => l.length === 0), 180_000, 250);
    const settled = Date.now();
    clearInterval(sampler);
    loop.disable();
    const sf: { sku: string; at: Date }[] = await ds.query(`SELECT sku, at FROM bench_storefront_pushes ORDER BY at`);
    for (const r of sf) record('storefront', r.sku, { start: new Date(r.at).getTime(), end: new Date(r.at).getTime() });
    for (const list of pushes.values()) list.sort((a, b) => a.start - b.start);
    const calls1 = await partnerCalls(sbUrl, ds);

    // A change is confirmed on a channel by the first push that started after its commit.
    const confirm = (channel: Channel, sku: string, at: number): number | null => {
      const list = pushes.get(`${channel}|${sku}`) ?? [];
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].start >= at) hi = mid;
        else lo = mid + 1;
      }
      return lo < list.length ? list[lo].end : null;
    };
    const perChannel: Record<string, number[]> = { amazon: [], nykaa: [], storefront: [] };
    const lastAll: number[] = [];
    const lastFast: number[] = [];
    /** Nykaa + storefront latencies by 5 s window of commit time: shows whether a tail is one stall or steady. */
    const fastByWindow: number[][] = [];
    let unconfirmed = 0;
    for (const c of commits) {
      const ends: Partial<Record<Channel, number>> = {};
      for (const ch of SYNC_CHANNELS) {
        const end = confirm(ch, c.sku, c.at);
        if (end === null) continue;
        // Storefront pushes go to our own database: no partner latency to subtract there.
        const injected = ch === 'storefront' ? 0 : LATENCY;
        ends[ch] = end;
        perChannel[ch].push(Math.max(0, end - c.at - injected));
      }
      if (ends.nykaa === undefined || ends.storefront === undefined || ends.amazon === undefined) {
        unconfirmed++;
        continue;
      }
      lastAll.push(Math.max(0, Math.max(ends.amazon - LATENCY, ends.nykaa - LATENCY, ends.storefront) - c.at));
      const fast = Math.max(0, Math.max(ends.nykaa - LATENCY, ends.storefront) - c.at);
      lastFast.push(fast);
      const w = Math.floor((c.at - started) / 5000);
      (fastByWindow[w] ??= []).push(fast);
    }

    const out: string[] = [];
    out.push(`\n== stock sync: ${commits.length} changes committed in ${(driveMs / 1000).toFixed(1)} s (${(commits.length / (driveMs / 1000)).toFixed(0)}/s, ${errors} refused), all channels matched ${(settled - lastCommit) / 1000} s after the last change`);
    out.push(`commit -> last channel confirmation, minus ${LATENCY} ms injected latency:`);
    out.push(`  all three channels:       ${fmt(lastAll)}`);
    out.push(`  nykaa + storefront:       ${fmt(lastFast)}`);
    for (const ch of SYNC_CHANNELS) out.push(`  ${ch.padEnd(25)} ${fmt(perChannel[ch])}`);
    out.push(`  nykaa + storefront p99 by 5 s window of commit time: ${fastByWindow.map((xs, w) => `${w * 5}-${w * 5 + 5} s ${pct(xs, 99).toFixed(0)} ms`).join(', ')}`);
    if (unconfirmed) out.push(`  (${unconfirmed} changes were superseded before every channel pushed again; covered by a later push)`);
    const d = (c: 'amazon' | 'nykaa' | 'storefront') => calls1[c] - calls0[c];
    out.push(
      `partner calls per change: amazon ${(d('amazon') / commits.length).toFixed(3)}, nykaa ${(d('nykaa') / commits.length).toFixed(3)}, storefront ${(d('storefront') / commits.length).toFixed(3)}; ` +
        `total ${((d('amazon') + d('nykaa') + d('storefront')) / commits.length).toFixed(3)} (3.000 without coalescing)`,
    );
    out.push('queue depth (waiting+delayed+active per channel queue, outbox rows) and event-loop stalls, once a second:');
    depth.forEach((line, i) => out.push(`  t=${String(i + 1).padStart(3)} s  ${line}`));
    process.stdout.write(out.join('\n') + '\n');

    // Hot SKU: 8 writers reserving one unit each, as fast as they can; with durable commits (the
    // default) and with INVENTORY_RESERVE_SYNCHRONOUS_COMMIT=off.
    await fetch(`${sbUrl}/_sandbox/faults`, { method: 'DELETE' });
    await worker.kill('SIGTERM');
  }
  const cfg = hub.get(InventoryConfig, { strict: false });
  // `in transaction`: the caller's transaction (as POST /v1/orders does: order row + reservation);
  // `standalone`: the reservation alone, one autocommitted statement (the row lock is then held for
  // that statement and its WAL flush only, not for the round trip to COMMIT).
  for (const [mode, how] of [['on', 'in transaction'], ['on', 'standalone'], ['off', 'in transaction']] as const) {
    cfg.INVENTORY_RESERVE_SYNCHRONOUS_COMMIT = mode;
    const sku = `BENCH-HOT-${mode}-${how.replace(' ', '-')}`;
    await ds.transaction((m) => inv.ensureItem(m, sku, 10_000_000));
    let reservations = 0;
    let n = 0;
    const hotStart = Date.now();
    const hotEnd = hotStart + HOT_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < hotEnd) {
          const id = n++;
          // As order creation reserves (the only caller the setting applies to).
          const input = { orderId: `${sku}-${id}`, channel: 'storefront' as const, lines: [{ lineId: '1', sku, quantity: 1 }], allowAsyncCommit: true };
          if (how === 'standalone') await inv.reserve(ds.manager, input);
          else await ds.transaction((m) => inv.reserve(m, input));
          reservations++;
        }
      }),
    );
    const hotRate = reservations / ((Date.now() - hotStart) / 1000);
    const level = await inv.getLevel(sku);
    process.stdout.write(
      `hot SKU (${how}, synchronous_commit ${mode}): ${reservations} reservations in ${HOT_SECONDS} s by 8 concurrent writers = ${hotRate.toFixed(0)} reservations/s ` +
        `(reserved ${level!.reserved}, target >= 1,000/s)\n`,
    );
  }

  await hub.close();
  await sandbox.close();
  await db.drop();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:sync failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
