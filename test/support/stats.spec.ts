import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, medianInterval, verdictAgainst } from './stats';

describe('benchmark statistics', () => {
  it('takes the median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('gives a bootstrap interval that holds the median, is reproducible, and widens with noise', () => {
    const quiet = [0.95, 0.96, 0.96, 0.97, 0.96, 0.95, 0.97, 0.96, 0.96, 0.95, 0.97, 0.96];
    const noisy = [0.75, 1.2, 0.96, 0.8, 1.1, 0.9, 1.3, 0.7, 0.96, 1.05, 0.85, 1.0];
    const [lo, hi] = medianInterval(quiet);
    assert.ok(lo <= median(quiet) && median(quiet) <= hi);
    assert.deepEqual(medianInterval(quiet), [lo, hi]);
    const [nlo, nhi] = medianInterval(noisy);
    assert.ok(nhi - nlo > hi - lo);
  });

  it('says met or NOT met only when the interval is on one side of the target', () => {
    assert.equal(verdictAgainst(0.95, 0.97, [0.955, 0.98]), 'met');
    assert.equal(verdictAgainst(0.95, 0.92, [0.9, 0.94]), 'NOT met');
    assert.match(verdictAgainst(0.95, 0.96, [0.93, 0.99]), /^met by the median, but the 90% interval spans the target/);
    assert.match(verdictAgainst(0.95, 0.94, [0.91, 0.96]), /^NOT met by the median/);
  });
});
