import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allocate, DEFAULT_ALLOCATION_RULE } from './allocation';

describe('channel allocation', () => {
  it('applies buffer, percentage and cap in that order', () => {
    assert.equal(allocate(100, DEFAULT_ALLOCATION_RULE), 100);
    assert.equal(allocate(100, { safetyBuffer: 10, maxQuantity: null, percentage: 50 }), 45);
    assert.equal(allocate(100, { safetyBuffer: 10, maxQuantity: 20, percentage: 50 }), 20);
    assert.equal(allocate(5, { safetyBuffer: 10, maxQuantity: null, percentage: 100 }), 0);
    assert.equal(allocate(3, { safetyBuffer: 0, maxQuantity: null, percentage: 33 }), 0, 'rounds down');
  });

  it('is never negative and never above available', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 1e6 }), fc.nat(1000), fc.option(fc.nat(1e6), { nil: null }), fc.integer({ min: 0, max: 100 }), (avail, buf, max, pct) => {
        const q = allocate(avail, { safetyBuffer: buf, maxQuantity: max, percentage: pct });
        return Number.isInteger(q) && q >= 0 && q <= Math.max(0, avail) && (max === null || q <= max);
      }),
    );
  });
});
