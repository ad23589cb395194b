import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProblemException } from '@hub/core';
import { parseTimestamp, timeWindow, usageWindow } from './timestamp';

describe('parseTimestamp', () => {
  it('reads RFC 3339 date-times and calendar dates, UTC when no offset is given', () => {
    const cases: [string, string][] = [
      ['2026-01-31T10:20:30Z', '2026-01-31T10:20:30.000Z'],
      ['2026-01-31T10:20:30.123456Z', '2026-01-31T10:20:30.123Z'],
      ['2026-01-31t10:20:30.5z', '2026-01-31T10:20:30.500Z'],
      ['2026-01-31 10:20Z', '2026-01-31T10:20:00.000Z'],
      ['2026-01-31T10:20:30+05:30', '2026-01-31T04:50:30.000Z'],
      ['2026-01-31T00:00:00-01:00', '2026-01-31T01:00:00.000Z'],
      ['2026-01-31T10:20:30+0530', '2026-01-31T04:50:30.000Z'],
      ['2026-01-31T10:20', '2026-01-31T10:20:00.000Z'],
      ['2026-01-31', '2026-01-31T00:00:00.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ];
    for (const [text, iso] of cases) assert.equal(parseTimestamp(text)?.toISOString(), iso, text);
  });

  it('refuses what Postgres would refuse or what Date would misread: week and ordinal dates, out-of-range fields, year 0', () => {
    for (const text of [
      '2020-W01', '2020-W01-1', '2020-100', '2020-012', '2020', '2020-01', '20200101', '2020-01-01T10', 'x 2020', 'yesterday', '',
      '2020-02-30', '2021-02-29', '2020-13-01', '2020-00-10', '2020-01-32', '2020-01-01T24:00:00Z', '2020-01-01T10:60:00Z',
      '2020-01-01T10:00:60Z', '2020-01-01T10:00:00+24:00', '2020-01-01T10:00:00+05:60', '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00+01:00', '+002020-01-01T00:00:00Z', '2020-01-01T00:00:00.1234567890Z', ' 2020-01-01', '2020-01-01T00:00:00ZZ',
    ]) {
      assert.equal(parseTimestamp(text), null, text);
    }
  });
});

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
