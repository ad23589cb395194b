import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProblemException } from './problem';
import { parseTimestamp, toDate } from './timestamp';

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

describe('toDate', () => {
  it('passes absent and null through, and answers a 400 naming the field for anything parseTimestamp refuses', () => {
    assert.equal(toDate('expiresAt', undefined), undefined);
    assert.equal(toDate('expiresAt', null), null);
    assert.equal(toDate('expiresAt', '2027-03-01T10:00')?.toISOString(), '2027-03-01T10:00:00.000Z');
    for (const text of ['2027-W10', '2027-100', '20271231']) {
      assert.throws(
        () => toDate('expiresAt', text),
        (err) => err instanceof ProblemException && err.getStatus() === 400 && (err.problem.extensions!.errors as { field: string }[])[0].field === 'expiresAt',
        text,
      );
    }
  });
});
