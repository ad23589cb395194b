import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialHealth, HealthInput } from './credential-health';

const now = new Date('2026-06-01T00:00:00Z');
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);
const base: HealthInput = { expiresAt: null, rotateEveryDays: null, createdAt: days(-10), rotatedAt: days(-10), lastVerifiedAt: days(-1), lastUsedAt: null, lastFailureAt: null };
const warn = [30, 7, 1];

describe('credential health', () => {
  it('is ok with no expiry, policy or failure', () => assert.deepEqual(credentialHealth(base, now, warn), { health: 'ok' }));
  it('is expiring at the tightest crossed threshold', () => {
    assert.deepEqual(credentialHealth({ ...base, expiresAt: days(40) }, now, warn), { health: 'ok' });
    assert.deepEqual(credentialHealth({ ...base, expiresAt: days(20) }, now, warn), { health: 'expiring', expiringWithinDays: 30 });
    assert.deepEqual(credentialHealth({ ...base, expiresAt: days(5) }, now, warn), { health: 'expiring', expiringWithinDays: 7 });
    assert.deepEqual(credentialHealth({ ...base, expiresAt: days(0.5) }, now, warn), { health: 'expiring', expiringWithinDays: 1 });
  });
  it('is expired once expiresAt has passed', () => assert.equal(credentialHealth({ ...base, expiresAt: days(-0.01) }, now, warn).health, 'expired'));
  it('is stale past its rotation period', () => {
    assert.equal(credentialHealth({ ...base, rotateEveryDays: 5 }, now, warn).health, 'stale');
    assert.equal(credentialHealth({ ...base, rotateEveryDays: 30 }, now, warn).health, 'ok');
  });
  it('is failing after a rejection until a later success, and failing outranks expiry', () => {
    const failed = { ...base, expiresAt: days(2), lastFailureAt: days(-0.5) };
    assert.equal(credentialHealth(failed, now, warn).health, 'failing');
    assert.equal(credentialHealth({ ...failed, lastUsedAt: days(-0.1) }, now, warn).health, 'expiring');
  });
});
