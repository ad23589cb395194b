import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs } from './partner-http';
import { TokenBucket } from './token-bucket';

/** A virtual clock: sleeping advances time instantly, so the test measures the schedule, not wall time. */
function virtualClock() {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), at: () => t };
}

describe('TokenBucket (outbound, 5/s burst 5)', () => {
  it('lets a burst of 5 through at once, then one request every 200 ms', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(5, 5, clock.now, clock.sleep);
    const start = clock.at();
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      await bucket.acquire();
      times.push(clock.at() - start);
    }
    assert.deepEqual(times.slice(0, 5), [0, 0, 0, 0, 0]);
    assert.deepEqual(times.slice(5), [200, 400, 600, 800, 1000]);
  });

  it('with a start margin, a burst from a full bucket refills that much later, then keeps the full rate', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(5, 5, clock.now, clock.sleep, 100);
    const start = clock.at();
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      await bucket.acquire();
      times.push(clock.at() - start);
    }
    assert.deepEqual(times, [0, 0, 0, 0, 0, 300, 500, 700]);
  });

  it('holds every request back until a Retry-After block has passed', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(5, 5, clock.now, clock.sleep);
    bucket.blockFor(3000);
    const start = clock.at();
    await bucket.acquire();
    assert.ok(clock.at() - start >= 3000);
  });

  it('serves concurrent callers in order', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(1, 1, clock.now, clock.sleep);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => bucket.acquire().then(() => order.push(i))));
    assert.deepEqual(order, [0, 1, 2, 3]);
  });
});

describe('retryAfterMs', () => {
  it('reads Retry-After seconds or an HTTP date, then Amazon rate headers, then the fallback', () => {
    assert.equal(retryAfterMs({ 'retry-after': '2' }), 2000);
    assert.equal(retryAfterMs({ 'retry-after': '0.5' }), 500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, 1000, now), 3000);
    assert.equal(retryAfterMs({ 'x-amzn-ratelimit-limit': '0.5' }), 2000);
    assert.equal(retryAfterMs({}, 1234), 1234);
  });
});
