/**
 * npm run bench:webhooks
 *
 * 1. Throughput: signed ~4 KiB Razorpay events against POST /v1/webhooks/razorpay (verify, store,
 *    apply, all in Postgres) versus a bare public route that only parses the same JSON, in the same
 *    process and run. Prints the ratio (target >= 0.5) and p99.
 * 2. Replay: one capture event per order, re-sent so that 20% of deliveries are duplicates,
 *    shuffled and concurrent. Prints the duplicate effects found in the stock ledger (target 0).
 *
 * Needs the local Postgres and Redis (as the tests do); creates and drops its own database.
 * The two routes are measured in alternating rounds and the median of the per-round ratios is
 * reported, so a burst of unrelated load on a shared machine skews one round, not the verdict.
 * Env: BENCH_SECONDS per route per round (default 4), BENCH_ROUNDS (default 3),
 * BENCH_CONNECTIONS (default 16), BENCH_ORDERS (default 300), BENCH_WARMUP seconds per route (default 2).
 */
import '../test/support/test-env';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { Public } from '@hub/core';
import { OrdersService } from '@hub/orders';
import { razorpaySignature } from '@hub/payments';
import { createRequire } from 'node:module';
import { DataSource } from 'typeorm';
import { startApi } from '../test/support/hub-harness';
import { createTestDatabase } from '../test/support/test-database';
import { deliver, fakeRazorpay, newStorefrontOrder, razorpayEvent, seedProduct } from '../test/payments/support/orders-harness';

const autocannon = createRequire(__filename)('autocannon');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 300);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 2);
const EVENT_BYTES = 4096;

@Controller('__bench')
class BareController {
  // Public: benchmark baseline, mounted only by this script.
  @Public()
  @Post('bare')
  @HttpCode(200)
  bare(@Body() body: { event?: string }) {
    return { eventId: 'bare', status: 'processed', outcome: body?.event ?? null };
  }
}
@Module({ controllers: [BareController] })
class BareModule {}

/** A Razorpay envelope padded (inside payment notes, as merchants' notes are) to exactly 4 KiB. */
function fourKiB(event: string, rzpOrderId: string, paymentId: string, amount: number): string {
  const env: any = razorpayEvent(event, rzpOrderId, paymentId, amount);
  env.payload.payment.entity.notes = { pad: '' };
  const base = Buffer.byteLength(JSON.stringify(env));
  env.payload.payment.entity.notes.pad = 'x'.repeat(Math.max(0, EVENT_BYTES - base));
  return JSON.stringify(env);
}

let cursor = 0;
/** Every request gets an event id never sent before: the signature covers the body only, so the bodies can repeat. */
let nextEventId = 0;
async function run(url: string, requests: { body: string; headers: Record<string, string> }[], seconds = SECONDS): Promise<any> {
  return autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: any) => {
          const r = requests[cursor++ % requests.length];
          return { ...req, body: r.body, headers: { ...req.headers, ...r.headers, 'x-razorpay-event-id': `evt_bench_${nextEventId++}` } };
        },
      },
    ],
  });
}

async function main() {
  const db = await createTestDatabase('benchwebhooks');
  const razorpay = fakeRazorpay();
  const api = await startApi({ extraModules: [BareModule] });
  const ds = api.app.get(DataSource);
  const orders = api.app.get(OrdersService);
  const secret = process.env.RAZORPAY_WEBHOOK_SECRET!;
  try {
    // ---- 1. throughput ----
    // One SKU per order, as in a real catalog: the first capture of each order commits its stock
    // without every lane queueing on one hot stock row.
    const targets: { rzp: string; amount: number }[] = [];
    for (let i = 0; i < ORDERS; i++) {
      await seedProduct(api.app, `BENCH-TP-${i}`, 1000, '899.00');
      const o = await newStorefrontOrder(orders, [{ sku: `BENCH-TP-${i}`, quantity: 1 }]);
      targets.push({ rzp: o.razorpay!.orderId, amount: o.amountMinor });
    }
    // Each order's three events, signed once; every request carries an event id of its own (see
    // run), as Razorpay's deliveries do. The first capture of each order commits its stock, later
    // events for a paid order take the "already paid" path.
    const kinds = ['payment.authorized', 'payment.captured', 'order.paid'];
    const pool = Array.from({ length: targets.length * kinds.length }, (_, i) => {
      const t = targets[i % targets.length];
      const body = fourKiB(kinds[Math.floor(i / targets.length)], t.rzp, `pay_Bench${i % targets.length}`, t.amount);
      return { body, headers: { 'content-type': 'application/json', 'x-razorpay-signature': razorpaySignature(body, secret) } };
    });
    console.log(`event size: ${Buffer.byteLength(pool[0].body)} bytes; ${CONNECTIONS} connections, ${SECONDS}s per route; ${ORDERS} orders, events cycle authorized/captured/order.paid over them (the first capture of each order commits stock, the rest change nothing, as most real deliveries)`);

    // Warm both paths (JIT, connection pools) under the same load before measuring: with a few
    // dozen warm-up deliveries the first webhook round came out 10-20% below the others.
    await run(`${api.url}/__bench/bare`, pool, WARMUP_SECONDS);
    await run(`${api.url}/v1/webhooks/razorpay`, pool, WARMUP_SECONDS);

    const rounds: { bare: any; hook: any; ratio: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bare = await run(`${api.url}/__bench/bare`, pool);
      const hook = await run(`${api.url}/v1/webhooks/razorpay`, pool);
      rounds.push({ bare, hook, ratio: hook.requests.average / bare.requests.average });
      console.log(`round ${r + 1}: bare ${bare.requests.average.toFixed(0)} req/s, webhook ${hook.requests.average.toFixed(0)} req/s (p99 ${hook.latency.p99} ms), ratio ${(hook.requests.average / bare.requests.average).toFixed(2)}`);
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
    const { bare, hook, ratio } = median;
    const non2xx = rounds.reduce((n, r) => n + r.hook.non2xx + r.hook.errors, 0);
    const p99 = Math.max(...rounds.map((r) => r.hook.latency.p99));
    const [{ n: stored }] = await ds.query(`SELECT count(*)::int AS n FROM razorpay_events`);

    // ---- 2. replay with 20% duplicates ----
    const REPLAY_ORDERS = ORDERS;
    await seedProduct(api.app, 'BENCH-RP', 1_000_000, '899.00');
    const before = (await ds.query(`SELECT on_hand FROM inventory_items WHERE sku = 'BENCH-RP'`))[0].on_hand as number;
    const uniques: { id: string; body: string }[] = [];
    for (let i = 0; i < REPLAY_ORDERS; i++) {
      const o = await newStorefrontOrder(orders, [{ sku: 'BENCH-RP', quantity: 1 }]);
      uniques.push({ id: `evt_replay_${i}`, body: fourKiB('payment.captured', o.razorpay!.orderId, `pay_Replay${i}`, o.amountMinor) });
    }
    const deliveries = [...uniques];
    const dupes = Math.round(uniques.length / 4); // 20% of all deliveries = 25% of the uniques
    for (let i = 0; i < dupes; i++) deliveries.push(uniques[Math.floor(Math.random() * uniques.length)]);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }
    let next = 0;
    const codes: number[] = [];
    const replayStart = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (next < deliveries.length) {
        const d = deliveries[next++];
        codes.push((await deliver(api.url, d.id, d.body)).status);
      }
    }));
    const replaySeconds = (performance.now() - replayStart) / 1000;
    const [{ commits, orders_with_extra }] = await ds.query(
      `SELECT count(*)::int AS commits, (SELECT count(*)::int FROM (SELECT order_id FROM inventory_movements WHERE sku = 'BENCH-RP' AND kind = 'commit' GROUP BY order_id HAVING count(*) > 1) x) AS orders_with_extra
         FROM inventory_movements WHERE sku = 'BENCH-RP' AND kind = 'commit'`,
    );
    const after = (await ds.query(`SELECT on_hand FROM inventory_items WHERE sku = 'BENCH-RP'`))[0].on_hand as number;
    const duplicateEffects = commits - REPLAY_ORDERS + orders_with_extra + (before - after - REPLAY_ORDERS);

    console.log('');
    console.log(`median round      : bare ${bare.requests.average.toFixed(0)} req/s (p99 ${bare.latency.p99} ms); webhook ${hook.requests.average.toFixed(0)} req/s (p50 ${hook.latency.p50} ms, p99 ${hook.latency.p99} ms)`);
    console.log(`webhook p99       : ${p99} ms worst round (budget 1000 ms); non-2xx/errors ${non2xx}; events stored ${stored}`);
    console.log(`ratio webhook/bare: ${ratio.toFixed(2)} median of ${ROUNDS} rounds (target >= 0.5) ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`);
    console.log(`replay            : ${deliveries.length} deliveries (${dupes} duplicates = ${((dupes / deliveries.length) * 100).toFixed(0)}%), ${codes.filter((c) => c !== 200).length} non-200, ${(deliveries.length / replaySeconds).toFixed(0)} req/s with every first delivery committing stock`);
    console.log(`duplicate effects : ${duplicateEffects} (target 0) ${duplicateEffects === 0 ? 'OK' : 'FAILED'}; stock committed ${before - after} for ${REPLAY_ORDERS} orders`);
    process.exitCode = duplicateEffects === 0 && non2xx === 0 && p99 < 1000 ? 0 : 1;
  } finally {
    razorpay.stop();
    await api.close();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
