import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalyticsConfig } from '../analytics.config';
import { anomaly, errorRate, isSilent, isZombie, KeyFacts, quotaNear } from './key-conditions';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 28, 12, 30);
const cfg = new AnalyticsConfig();

const key = (over: Partial<KeyFacts> = {}): KeyFacts => ({
  status: 'active',
  rotatedTo: null,
  createdAt: NOW - 90 * DAY,
  lastUsedAt: NOW - HOUR,
  baselineActiveDays: 7,
  currentHour: 0,
  previousHour: 0,
  baselineRequests: 0,
  baselineHours: 168,
  recentRequests: 0,
  recent4xx: 0,
  recent5xx: 0,
  ...over,
});

describe('key conditions (defaults)', () => {
  it('zombie: never used or unused for 30 days, and at least 30 days old; usable and not rotated away', () => {
    assert.equal(isZombie(key({ lastUsedAt: null }), NOW, cfg), true);
    assert.equal(isZombie(key({ lastUsedAt: NOW - 30 * DAY }), NOW, cfg), true);
    assert.equal(isZombie(key({ lastUsedAt: NOW - 30 * DAY + 1 }), NOW, cfg), false);
    assert.equal(isZombie(key({ lastUsedAt: null, createdAt: NOW - 29 * DAY }), NOW, cfg), false, 'a new key has time to be used');
    assert.equal(isZombie(key({ lastUsedAt: null, status: 'revoked' }), NOW, cfg), false);
    assert.equal(isZombie(key({ lastUsedAt: null, status: 'expired' }), NOW, cfg), false);
    assert.equal(isZombie(key({ lastUsedAt: null, status: 'expiring' }), NOW, cfg), true);
    assert.equal(isZombie(key({ lastUsedAt: null, rotatedTo: 'AbCdEf123456' }), NOW, cfg), false);
  });

  it('silent: steady traffic on at least 5 of the 7 days before, then nothing for 24 hours', () => {
    assert.equal(isSilent(key({ lastUsedAt: NOW - 24 * HOUR, baselineActiveDays: 5 }), NOW, cfg), true);
    assert.equal(isSilent(key({ lastUsedAt: NOW - 24 * HOUR + 1, baselineActiveDays: 7 }), NOW, cfg), false, 'called within 24 h');
    assert.equal(isSilent(key({ lastUsedAt: NOW - 48 * HOUR, baselineActiveDays: 4 }), NOW, cfg), false, 'traffic was not steady');
    assert.equal(isSilent(key({ lastUsedAt: null, baselineActiveDays: 0 }), NOW, cfg), false);
    assert.equal(isSilent(key({ lastUsedAt: NOW - 48 * HOUR, status: 'revoked' }), NOW, cfg), false);
    assert.equal(isSilent(key({ lastUsedAt: NOW - 48 * HOUR, rotatedTo: 'AbCdEf123456' }), NOW, cfg), false, 'a rotated key is expected to go quiet');
  });

  it('anomaly: the busier recent hour over 5x the hourly mean and at least 100 requests, with 24 h of history', () => {
    const mean10 = { baselineRequests: 1680, baselineHours: 168 };
    assert.deepEqual(anomaly(key({ ...mean10, previousHour: 120 }), cfg), { requests: 120, hourlyMean: 10 });
    assert.deepEqual(anomaly(key({ ...mean10, currentHour: 130, previousHour: 3 }), cfg), { requests: 130, hourlyMean: 10 }, 'the current hour so far counts too');
    assert.equal(anomaly(key({ baselineRequests: 168, baselineHours: 168, currentHour: 99 }), cfg), null, 'below the floor of 100');
    const mean30 = { baselineRequests: 5040, baselineHours: 168 };
    assert.equal(anomaly(key({ ...mean30, currentHour: 150 }), cfg), null, '150 is not over 5 x 30');
    assert.deepEqual(anomaly(key({ ...mean30, currentHour: 151 }), cfg), { requests: 151, hourlyMean: 30 });
    assert.equal(anomaly(key({ baselineRequests: 0, baselineHours: 23, currentHour: 1000 }), cfg), null, 'under 24 hours of history');
    assert.deepEqual(anomaly(key({ baselineRequests: 0, baselineHours: 24, currentHour: 100 }), cfg), { requests: 100, hourlyMean: 0 });
    assert.equal(anomaly(key({ ...mean10, currentHour: 1000, status: 'revoked' }), cfg), null);
  });

  it('error rate: 20% 4xx+5xx or 5% 5xx over at least 20 requests', () => {
    assert.deepEqual(errorRate(key({ recentRequests: 20, recent4xx: 4 }), cfg), { requests: 20, errorRate: 0.2, rate5xx: 0, serverSide: false });
    assert.equal(errorRate(key({ recentRequests: 20, recent4xx: 3 }), cfg), null);
    assert.deepEqual(errorRate(key({ recentRequests: 40, recent5xx: 2 }), cfg), { requests: 40, errorRate: 0.05, rate5xx: 0.05, serverSide: true });
    assert.equal(errorRate(key({ recentRequests: 19, recent5xx: 19 }), cfg), null, 'below the minimum volume');
    assert.equal(errorRate(key({ recentRequests: 100, recent5xx: 100, status: 'revoked' }), cfg), null);
  });

  it('quota near: 80% of the period quota used', () => {
    assert.equal(quotaNear({ status: 'active' }, 400, 500, cfg), true);
    assert.equal(quotaNear({ status: 'active' }, 399, 500, cfg), false);
    assert.equal(quotaNear({ status: 'revoked' }, 500, 500, cfg), false);
  });
});
