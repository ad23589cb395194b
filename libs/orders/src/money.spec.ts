import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromMinorUnits, toMinorUnits } from './money';

describe('money', () => {
  it('converts major units to paise exactly', () => {
    assert.equal(toMinorUnits('899'), 89900);
    assert.equal(toMinorUnits('899.1'), 89910);
    assert.equal(toMinorUnits('899.10'), 89910);
    assert.equal(toMinorUnits(899.1), 89910);
    assert.equal(toMinorUnits('0.07'), 7);
    assert.equal(fromMinorUnits(89910), '899.10');
    assert.equal(fromMinorUnits(7), '0.07');
  });

  it('refuses what is not a price', () => {
    for (const bad of ['', 'abc', '1.234', '-5', '1e3']) assert.throws(() => toMinorUnits(bad), bad);
  });
});
