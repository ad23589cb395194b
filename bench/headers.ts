/**
 * npm run bench:headers
 *
 * What HTTP itself charges for the bytes an authenticated request carries, with no hub code at all:
 * a plain node:http server (bench/_headers-server.main.ts) answering the same small JSON, measured
 * with and without the `Authorization` header a key request sends and the two RateLimit headers
 * CONTRACT puts on every authenticated response; then the same with plain Fastify (no Nest) setting
 * its headers with reply.header, as the hub does. bench:auth's R2 compares a key-checked route with
 * a public one; the ratio printed here is the best R2 could be on this machine if checking a key
 * (and everything Fastify and Nest add per header) cost nothing.
 *
 * Same layout as bench:auth: the server pinned to the last CPU, autocannon in this process on the
 * first; its CPU per request read from /proc/<pid>/task/<tid>/schedstat; scenarios interleaved over
 * BENCH_ROUNDS rounds of BENCH_DURATION seconds, ratios paired per round, medians printed.
 */
import { createRequire } from 'node:module';
import { freePort, pinApart, processCpuMicros, spawnEntry } from '../test/support/processes';
import { median } from '../test/support/stats';

const autocannon = createRequire(__filename)('autocannon') as (opts: Record<string, unknown>) => Promise<{ requests: { average: number; total: number }; non2xx: number; errors: number }>;

const DURATION = Number(process.env.BENCH_DURATION ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** The length of a real key's header: `Bearer ` and 71 characters (CONTRACT's format); never checked here. */
const AUTHORIZATION = `Bearer nsk_live_${'A'.repeat(12)}_${'b'.repeat(38)}`;

/** The two servers measured, one after the other: HTTP alone, then Fastify setting headers the way the hub does. */
const SERVERS = [
  { kind: 'node', label: 'plain node:http' },
  { kind: 'fastify', label: 'plain Fastify (reply.header in an onRequest hook, no Nest)' },
] as const;

/** Runs the four scenarios against one server; returns the ceiling (both, by req/s) it measured. */
async function measure(kind: string, label: string): Promise<number> {
  const port = await freePort();
  const server = spawnEntry('bench/_headers-server.main.js', { ...process.env, PORT: String(port), HEADERS_SERVER: kind });
  try {
    await server.waitFor(/headers server listening/, 30_000);
    const pid = server.child.pid!;
    const pinning = pinApart(pid, 'server');
    const base = `http://127.0.0.1:${port}`;
    const scenarios = [
      { name: 'bare (3 response headers)', url: `${base}/`, headers: {} },
      { name: '+ Authorization header in (ignored)', url: `${base}/`, headers: { authorization: AUTHORIZATION } },
      { name: '+ RateLimit-Policy and RateLimit out', url: `${base}/ratelimit`, headers: {} },
      { name: '+ both (an authenticated response\'s bytes)', url: `${base}/ratelimit`, headers: { authorization: AUTHORIZATION } },
    ].map((s) => ({ ...s, rps: [] as number[], cpu: [] as number[] }));
    for (const s of scenarios) await autocannon({ url: s.url, headers: s.headers, connections: CONNECTIONS, duration: 2 });
    let failed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...scenarios].reverse() : scenarios;
      for (const s of order) {
        const c0 = processCpuMicros(pid);
        const r = await autocannon({ url: s.url, headers: s.headers, connections: CONNECTIONS, duration: DURATION });
        const c1 = processCpuMicros(pid);
        failed += r.non2xx + r.errors;
        s.rps.push(r.requests.average);
        s.cpu.push(c0 !== null && c1 !== null && r.requests.total ? (c1 - c0) / r.requests.total : NaN);
      }
    }
    const bare = scenarios[0];
    console.log(`\nHTTP header cost, ${label}: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION}s; ${pinning}\n`);
    console.log(`${'scenario'.padEnd(44)}  ${'req/s'.padStart(8)}  ${'x bare'.padStart(6)}  ${'us/req'.padStart(7)}  ${'+us/req'.padStart(7)}  ${'bare/this by CPU'.padStart(16)}`);
    for (const s of scenarios) {
      const byRps = median(s.rps.map((x, k) => x / bare.rps[k]));
      const extra = median(s.cpu.map((x, k) => x - bare.cpu[k]));
      const byCpu = median(s.cpu.map((x, k) => bare.cpu[k] / x));
      console.log(`${s.name.padEnd(44)}  ${median(s.rps).toFixed(0).padStart(8)}  ${byRps.toFixed(3).padStart(6)}  ${median(s.cpu).toFixed(1).padStart(7)}  ${extra.toFixed(2).padStart(7)}  ${byCpu.toFixed(3).padStart(16)}`);
    }
    const both = scenarios[3];
    const rounds = both.rps.map((x, k) => x / bare.rps[k]);
    console.log(
      `\nceiling for an authenticated/bare ratio from the bytes alone (${label}, no check at all): ${median(rounds).toFixed(3)} by req/s ` +
        `(rounds in order: ${rounds.map((x) => x.toFixed(2)).join(' ')}), ${median(both.cpu.map((x, k) => bare.cpu[k] / x)).toFixed(3)} by server CPU`,
    );
    console.log('(x bare and bare/this are medians of per-round ratios; +us/req is the median per-round difference from bare)');
    if (failed) throw new Error(`${failed} requests failed`);
    return median(rounds);
  } finally {
    await server.kill();
  }
}

async function main() {
  const ceilings: string[] = [];
  for (const { kind, label } of SERVERS) ceilings.push(`${kind} ${(await measure(kind, label)).toFixed(3)}`);
  console.log(`\nceilings for R2 from the bytes alone: ${ceilings.join(', ')} (bench:auth's own "bytes" scenario is the same measure through the whole hub stack)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
