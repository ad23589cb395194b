/**
 * The latency histogram of the usage rollups: fixed log-scale buckets, four to each power of two
 * of microseconds (so a bucket is at most 25% wider than its lower bound), from 64 us to about
 * 35 minutes. Bucket 0 holds everything under 64 us; the last one everything from 2^30 us up.
 * Fixed buckets add up across hours, instances and keys, which percentiles cannot.
 */
export const LATENCY_BUCKETS = 101;

/** Latencies from here up land in the last bucket (2^31 us would overflow the int arithmetic). */
const MAX_MS = 2_000_000;

/**
 * The bucket of a latency in milliseconds: an integer of microseconds, its power of two
 * (Math.clz32) and the next two bits below it. No allocation, no branch per bucket: this runs
 * for every request.
 */
export function latencyBucket(ms: number): number {
  // `| 0` turns NaN into 0; a negative latency (a clock step) counts as the fastest bucket.
  const us = ms >= MAX_MS ? MAX_MS * 1000 : (ms * 1000) | 0;
  if (us < 64) return 0;
  const e = 31 - Math.clz32(us);
  return 1 + ((e - 6) << 2) + ((us >>> (e - 2)) & 3);
}

/** [lower, upper) of a bucket, in milliseconds. */
export function bucketBoundsMs(b: number): [number, number] {
  if (b <= 0) return [0, 0.064];
  const e = 6 + ((b - 1) >> 2);
  const sub = (b - 1) & 3;
  const unit = 2 ** (e - 2);
  return [((4 + sub) * unit) / 1000, ((5 + sub) * unit) / 1000];
}

/**
 * The latency at quantile q (0 < q <= 1) of a histogram: the upper bound of the bucket holding the
 * request of rank ceil(q x total), capped at the largest latency seen (`maxMs`, exact), so the
 * figure is never below the true one and at most a bucket's width (25%) above it. Null when empty.
 */
export function latencyPercentile(hist: ArrayLike<number>, q: number, maxMs: number | null = null): number | null {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += Number(hist[i]);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += Number(hist[i]);
    if (seen >= rank) {
      const upper = bucketBoundsMs(i)[1];
      return round3(maxMs !== null && maxMs < upper ? maxMs : upper);
    }
  }
  return null;
}

/**
 * Element-wise sum of histograms of any lengths (rows store them without trailing zeros); with
 * `offset`, `more[0]` adds to bucket `offset` of `into`.
 */
export function addHistograms(into: number[], more: ArrayLike<number | string>, offset = 0): number[] {
  for (let i = 0; i < more.length; i++) into[offset + i] = (into[offset + i] ?? 0) + Number(more[i]);
  return into;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
