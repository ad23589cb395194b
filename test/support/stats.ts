// Statistics the benchmarks share.

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A 90% percentile-bootstrap interval for the median of per-round ratios (2,000 resamples, fixed
 * seed, so the same rounds always give the same interval). On a shared VM a round can run 30%
 * slow or fast; the interval says whether a median near its target is above or below it by more
 * than that noise.
 */
export function medianInterval(xs: readonly number[], resamples = 2000): [number, number] {
  let seed = 0x9e3779b9;
  const random = () => {
    // xorshift32: reproducible, and plenty for resampling indices.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const medians: number[] = [];
  const sample = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(random() * xs.length)];
    medians.push(median(sample));
  }
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(0.05 * (resamples - 1))], medians[Math.ceil(0.95 * (resamples - 1))]];
}

/** "met", "NOT met", or, when the interval straddles the target, that the run cannot tell. */
export function verdictAgainst(target: number, estimate: number, interval: [number, number]): string {
  if (interval[0] >= target) return 'met';
  if (interval[1] < target) return 'NOT met';
  return `${estimate >= target ? 'met' : 'NOT met'} by the median, but the 90% interval spans the target: within this run's noise`;
}
