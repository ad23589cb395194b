import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bucket, BurstLimiter } from './burst-limiter';

describe('BurstLimiter with buckets held by cached key records', () => {
  it('two holders of one key share one bucket, before and after the bucket is swept', () => {
    const burst = new BurstLimiter();
    const a: { bucket?: Bucket } = {};
    const b: { bucket?: Bucket } = {};
    const t0 = 1_000_000;
    let admitted = 0;
    for (let i = 0; i < 10; i++) if (burst.take('k', 5, 1, t0, i % 2 ? a : b).ok) admitted++;
    assert.equal(admitted, 5, 'a 5/s key admits 5 in the same instant, whichever record asks');
    assert.equal(a.bucket, b.bucket);

    // Idle long enough to be swept: the held bucket is dead, and the next take finds or makes the live one.
    const old = a.bucket!;
    burst.sweep(t0 + 60_000);
    assert.equal(old.dead, true);
    admitted = 0;
    for (let i = 0; i < 10; i++) if (burst.take('k', 5, 1, t0 + 60_000, i % 2 ? a : b).ok) admitted++;
    assert.equal(admitted, 5);
    assert.notEqual(a.bucket, old);
    assert.equal(a.bucket, b.bucket);
  });
});
