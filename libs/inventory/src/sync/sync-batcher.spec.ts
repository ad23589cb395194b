import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from './sync-batcher';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Batcher', () => {
  it('answers every caller from one run per window, in order', async () => {
    const runs: number[][] = [];
    const b = new Batcher<number, string>(async (xs) => (runs.push(xs), xs.map((x) => `r${x}`)), 100, 10);
    const answers = await Promise.all([1, 2, 3].map((x) => b.push(x)));
    assert.deepEqual(answers, ['r1', 'r2', 'r3']);
    assert.deepEqual(runs, [[1, 2, 3]]);
  });

  it('flushes at once when the batch is full, and opens a new window for the rest', async () => {
    const runs: number[][] = [];
    const b = new Batcher<number, number>(async (xs) => (runs.push(xs), xs), 2, 1000);
    const t0 = Date.now();
    const first = await Promise.all([b.push(1), b.push(2)]);
    assert.deepEqual(first, [1, 2]);
    assert.ok(Date.now() - t0 < 500, 'a full batch does not wait for the window');
    const third = b.push(3);
    await tick(5);
    assert.equal(b.waiting, 1);
    assert.deepEqual(runs, [[1, 2]]);
    void third;
  });

  it('rejects every caller of a batch whose run fails, and keeps working afterwards', async () => {
    let fail = true;
    const b = new Batcher<number, number>(async (xs) => {
      if (fail) throw new Error('partner down');
      return xs;
    }, 10, 1);
    const settled = await Promise.allSettled([b.push(1), b.push(2)]);
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected']);
    fail = false;
    assert.equal(await b.push(3), 3);
  });

  it('rejects callers a run forgot to answer instead of leaving them hanging', async () => {
    const b = new Batcher<number, number>(async (xs) => xs.slice(0, 1), 10, 1);
    const settled = await Promise.allSettled([b.push(1), b.push(2)]);
    assert.equal(settled[0].status, 'fulfilled');
    assert.equal(settled[1].status, 'rejected');
  });
});
