import { RateLimitedError } from '@hub/core';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { syncBackoffDelay } from './sync-backoff';

describe('sync retry backoff', () => {
  it('doubles per attempt with jitter between half and the full step, capped', () => {
    const lo = () => 0;
    const hi = () => 0.999999;
    assert.equal(syncBackoffDelay(1, undefined, 250, 30_000, lo), 125);
    assert.equal(syncBackoffDelay(1, undefined, 250, 30_000, hi), 250);
    assert.equal(syncBackoffDelay(3, undefined, 250, 30_000, lo), 500);
    assert.equal(syncBackoffDelay(3, undefined, 250, 30_000, hi), 1000);
    assert.equal(syncBackoffDelay(20, undefined, 250, 30_000, hi), 30_000);
    const spread = new Set(Array.from({ length: 50 }, () => syncBackoffDelay(4, undefined, 250, 30_000)));
    assert.ok(spread.size > 10, 'random jitter spreads retries');
  });

  it('never retries sooner than the partner asked', () => {
    assert.equal(syncBackoffDelay(1, new RateLimitedError('amazon', 4_000), 250, 30_000, () => 0.5), 4_000);
    assert.equal(syncBackoffDelay(8, new RateLimitedError('amazon', 10), 250, 30_000, () => 0), 15_000);
  });
});
