import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalisePrice, priceProblem } from './price';

describe('prices (exact decimals in major units)', () => {
  it('accepts numbers and decimal strings with at most 2 decimals and normalises them to "N.NN"', () => {
    for (const [input, out] of [
      [899, '899.00'],
      ['899', '899.00'],
      ['899.5', '899.50'],
      [899.99, '899.99'],
      ['0', '0.00'],
      ['0007.10', '7.10'],
      ['999999999.99', '999999999.99'],
      [999999999.99, '999999999.99'],
      ['0000000001.00', '1.00'],
    ] as const) {
      assert.equal(priceProblem(input), null, String(input));
      assert.equal(normalisePrice(input), out);
    }
  });

  it('refuses negatives, non-numbers, more than 2 decimals and out-of-range values, saying which', () => {
    assert.match(priceProblem(-1)!, /negative/);
    assert.match(priceProblem('-0.01')!, /negative/);
    assert.match(priceProblem('abc')!, /decimal number/);
    assert.match(priceProblem('')!, /decimal number/);
    assert.match(priceProblem('1e3')!, /decimal number/);
    assert.match(priceProblem(true)!, /decimal number/);
    assert.match(priceProblem(null)!, /decimal number/);
    assert.match(priceProblem(NaN)!, /finite/);
    assert.match(priceProblem('10.999')!, /2 decimal/);
    assert.match(priceProblem(10.001)!, /2 decimal/);
    assert.match(priceProblem('12345678901')!, /below/);
    // Nykaa's price.amount is ^\d{1,9}\.\d{2}$: the hub stops at the same 10^9 for every channel.
    for (const tooBig of ['9999999999.99', 9999999999.99, '1000000000', 1e9]) assert.equal(priceProblem(tooBig), 'must be below 1,000,000,000', String(tooBig));
    assert.match(priceProblem(1e21)!, /decimal number/);
  });

  it('round-trips every cent amount exactly (no float drift)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 99_999_999_999n }), (cents) => {
        const s = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
        assert.equal(priceProblem(s), null);
        assert.equal(normalisePrice(s), s);
      }),
    );
  });
});
