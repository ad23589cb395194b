import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addHistograms, bucketBoundsMs, LATENCY_BUCKETS, latencyBucket, latencyPercentile } from './latency-histogram';

describe('latency histogram', () => {
  it('puts every latency in the bucket whose bounds hold it, buckets at most 25% wide', () => {
    for (let us = 0; us < 5_000_000; us = us < 1000 ? us + 1 : Math.ceil(us * 1.013)) {
      const ms = us / 1000;
      const b = latencyBucket(ms);
      const [lo, hi] = bucketBoundsMs(b);
      assert.ok(b >= 0 && b < LATENCY_BUCKETS, `${ms} ms -> bucket ${b}`);
      assert.ok(lo <= ms && ms < hi, `${ms} ms in [${lo}, ${hi}) of bucket ${b}`);
      if (b > 0) assert.ok(hi <= lo * 1.25 + 1e-9, `bucket ${b} is [${lo}, ${hi})`);
    }
  });

  it('keeps the edges in range: sub-64 us, NaN and negative in the first bucket, hours in the last', () => {
    assert.equal(latencyBucket(0), 0);
    assert.equal(latencyBucket(0.063), 0);
    assert.equal(latencyBucket(0.064), 1);
    assert.equal(latencyBucket(-5), 0);
    assert.equal(latencyBucket(Number.NaN), 0);
    assert.equal(latencyBucket(3_600_000), LATENCY_BUCKETS - 1);
    assert.equal(latencyBucket(Number.POSITIVE_INFINITY), LATENCY_BUCKETS - 1);
    // Buckets are contiguous: each starts where the previous ends.
    for (let b = 1; b < LATENCY_BUCKETS; b++) assert.equal(bucketBoundsMs(b)[0], bucketBoundsMs(b - 1)[1]);
  });

  it('reads a percentile as the upper bound of the bucket holding that rank, capped at the maximum seen', () => {
    const hist: number[] = [];
    const latencies = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100];
    for (const ms of latencies) {
      const b = latencyBucket(ms);
      hist[b] = (hist[b] ?? 0) + 1;
    }
    const filled = Array.from(hist, (x) => x ?? 0);
    const p50 = latencyPercentile(filled, 0.5, 100)!;
    assert.ok(p50 >= 5 && p50 <= 5 * 1.25, `p50 ${p50} within a bucket above 5 ms`);
    const p90 = latencyPercentile(filled, 0.9, 100)!;
    assert.ok(p90 >= 9 && p90 <= 9 * 1.25, `p90 ${p90}`);
    assert.equal(latencyPercentile(filled, 0.99, 100), 100, 'capped at the exact maximum');
    assert.equal(latencyPercentile([], 0.5), null);
    assert.equal(latencyPercentile([0, 0], 0.5), null);
  });

  it('adds histograms of different lengths', () => {
    assert.deepEqual(addHistograms([1, 2], [3, 4, 5]), [4, 6, 5]);
    assert.deepEqual(addHistograms([1, 2, 3], ['1']), [2, 2, 3]);
    assert.deepEqual(addHistograms([1, 2, 3, 0], [5, 6], 2), [1, 2, 8, 6]);
  });
});
