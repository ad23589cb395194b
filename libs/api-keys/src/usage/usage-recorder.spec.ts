import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditService } from '@hub/core';
import type { DataSource } from 'typeorm';
import { ApiKeysConfig } from '../api-keys.config';
import { latencyBucket } from './latency-histogram';
import type { UsageRow } from './usage-columns';
import { UsageRecorderService } from './usage-recorder.service';

const HOUR = 3_600_000;
const H0 = Date.UTC(2026, 10, 28, 10);

/** A recorder whose writes land in arrays instead of Postgres. */
function recorder() {
  const ds = { query: async () => [] } as unknown as DataSource;
  const audit = { recordAggregated: async () => undefined } as unknown as AuditService;
  const svc = new UsageRecorderService(ds, audit, new ApiKeysConfig());
  const keyRows: UsageRow[] = [];
  const routeRows: UsageRow[] = [];
  const internals = svc as unknown as {
    writeUsage(rows: UsageRow[]): Promise<void>;
    writeRouteUsage(rows: UsageRow[]): Promise<void>;
    run(full: boolean): Promise<void>;
    hists: { used: number };
  };
  internals.writeUsage = async (rows) => void keyRows.push(...rows);
  internals.writeRouteUsage = async (rows) => void routeRows.push(...rows);
  return {
    svc,
    keyRows,
    routeRows,
    /** The timer's write (counts only) or, with `full`, flush()'s (histograms too). */
    write: (full: boolean) => internals.run(full),
    slotsInUse: () => internals.hists.used,
  };
}

/** A row's histogram as {bucket: count}. */
function buckets(row: UsageRow): Record<number, number> {
  const out: Record<number, number> = {};
  row.hb.forEach((n, i) => {
    if (n) out[row.ho + i] = n;
  });
  return out;
}

describe('UsageRecorderService latency histograms', () => {
  it('keeps each key and route histogram apart and writes each whole', async () => {
    const r = recorder();
    const route = r.svc.routeHolder('GET /v1/products');
    for (const ms of [1, 1, 5]) r.svc.record('keyA', 200, ms, H0, undefined, route);
    r.svc.record('keyB', 200, 100, H0, undefined, null);
    await r.write(true);
    const a = r.keyRows.find((x) => x.k === 'keyA')!;
    const b = r.keyRows.find((x) => x.k === 'keyB')!;
    assert.deepEqual(buckets(a), { [latencyBucket(1)]: 2, [latencyBucket(5)]: 1 });
    assert.deepEqual(buckets(b), { [latencyBucket(100)]: 1 });
    assert.deepEqual(buckets(r.routeRows[0]), { [latencyBucket(1)]: 2, [latencyBucket(5)]: 1 });
  });

  it('keeps counting a histogram across count-only writes and empties it when written', async () => {
    const r = recorder();
    r.svc.record('keyA', 200, 2, H0);
    await r.write(false);
    r.svc.record('keyA', 200, 2, H0);
    await r.write(true);
    assert.deepEqual(buckets(r.keyRows.at(-1)!), { [latencyBucket(2)]: 2 });
    r.svc.record('keyA', 200, 40, H0);
    await r.write(true);
    assert.deepEqual(buckets(r.keyRows.at(-1)!), { [latencyBucket(40)]: 1 }, 'nothing left from the earlier write');
  });

  it('gives a histogram back when its cell leaves, and a new cell starts from an empty one', async () => {
    const r = recorder();
    for (let i = 0; i < 600; i++) r.svc.record(`old${i}`, 200, 3, H0);
    await r.write(false); // counts only: the histograms still hold 600 requests
    assert.equal(r.slotsInUse(), 600);
    // The hour turns: each key's cell moves aside and leaves with the next write, histogram and all.
    for (let i = 0; i < 600; i++) r.svc.record(`old${i}`, 200, 3, H0 + HOUR);
    assert.equal(r.slotsInUse(), 1200);
    await r.write(false);
    assert.equal(r.slotsInUse(), 600, 'the previous hour gave its 600 back');
    const leftH0 = r.keyRows.filter((x) => x.h === H0 && x.hb.length > 0);
    assert.equal(leftH0.length, 600, 'each leaving cell took its histogram out');
    assert.ok(leftH0.every((x) => buckets(x)[latencyBucket(3)] === 1));

    // New keys reuse the freed slots and see none of the old counts.
    for (let i = 0; i < 600; i++) r.svc.record(`new${i}`, 200, 700, H0 + HOUR);
    await r.write(true);
    const fresh = r.keyRows.filter((x) => x.k.startsWith('new'));
    assert.equal(fresh.length, 600);
    assert.ok(fresh.every((x) => JSON.stringify(buckets(x)) === JSON.stringify({ [latencyBucket(700)]: 1 })), 'a reused slot starts empty');
    assert.equal(r.slotsInUse(), 1200);

    // Idle cells leave after 60 writes without a request: every slot comes back.
    for (let i = 0; i < 60; i++) await r.write(false);
    assert.equal(r.slotsInUse(), 0);
  });
});
