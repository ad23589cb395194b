import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProblemException } from '@hub/core';
import { timeWindow, usageWindow } from './timestamp';

describe('timeWindow / usageWindow', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  const field = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      assert.ok(err instanceof ProblemException && err.slug === 'validation-failed');
      return (err.problem.extensions!.errors as { field: string; message: string }[])[0];
    }
    assert.fail('expected a 400');
  };

  it('defaults to the last N days up to now, and takes explicit bounds as given', () => {
    const w = timeWindow({}, 7, 92, now);
    assert.deepEqual([w.from.toISOString(), w.to.toISOString()], ['2026-11-21T12:00:00.000Z', '2026-11-28T12:00:00.000Z']);
    const e = timeWindow({ from: '2026-11-01', to: '2026-11-02T06:00Z' }, 7, 92, now);
    assert.deepEqual([e.from.toISOString(), e.to.toISOString()], ['2026-11-01T00:00:00.000Z', '2026-11-02T06:00:00.000Z']);
    assert.equal(usageWindow({}, 'hour', now).from.toISOString(), '2026-11-27T12:00:00.000Z');
    assert.equal(usageWindow({}, 'day', now).from.toISOString(), '2026-10-29T12:00:00.000Z');
  });

  it('names the field: a bad date, from not before to, a span over the maximum (31 days by hour, 366 by day)', () => {
    assert.equal(field(() => timeWindow({ to: '2020-W01' }, 7, 92, now)).field, 'to');
    assert.deepEqual(field(() => timeWindow({ from: '2026-11-02', to: '2026-11-01' }, 7, 92, now)), { field: 'from', message: 'must be before to' });
    assert.deepEqual(field(() => usageWindow({ from: '2026-10-01' }, 'hour', now)), { field: 'from', message: 'must be at most 31 days before to' });
    assert.equal(usageWindow({ from: '2026-10-01' }, 'day', now).from.toISOString(), '2026-10-01T00:00:00.000Z');
    assert.equal(field(() => usageWindow({ from: '2025-11-01' }, 'day', now)).field, 'from');
  });
});
