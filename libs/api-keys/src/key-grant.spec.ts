import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProblemException } from '@hub/core';
import { assertWithinGrant, KeyGrant, quotaWithin } from './key-grant';

const slug = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof ProblemException);
    return `${err.getStatus()} ${err.slug}`;
  }
};

describe('assertWithinGrant: a key never mints or controls more than it has', () => {
  const caller: KeyGrant = { scopes: ['keys:write', 'catalog:read'], channels: ['amazon'], tier: 'standard', limits: null };
  const target = (t: Partial<KeyGrant>): KeyGrant => ({ scopes: ['catalog:read'], channels: ['amazon'], tier: 'free', limits: null, ...t });

  it('allows what the caller holds, and refuses each kind of excess with its slug', () => {
    assert.equal(slug(() => assertWithinGrant(caller, target({}), 'create')), null);
    assert.equal(slug(() => assertWithinGrant(caller, target({ tier: 'standard', limits: { burstPerSecond: 5 } }), 'create')), null);
    assert.equal(slug(() => assertWithinGrant(caller, target({ scopes: ['vault:read'] }), 'create')), '403 insufficient-scope');
    assert.equal(slug(() => assertWithinGrant(caller, target({ channels: null }), 'create')), '403 channel-not-allowed');
    assert.equal(slug(() => assertWithinGrant(caller, target({ channels: ['amazon', 'nykaa'] }), 'create')), '403 channel-not-allowed');
    assert.equal(slug(() => assertWithinGrant(caller, target({ tier: 'gold' }), 'create')), '403 tier-not-allowed');
    assert.equal(slug(() => assertWithinGrant(caller, target({ limits: { burstPerSecond: 6 } }), 'create')), '403 limits-not-allowed');
    assert.equal(slug(() => assertWithinGrant(caller, target({ limits: { quota: null } }), 'create')), '403 limits-not-allowed');
    // The caller's own overrides are its effective limits.
    assert.equal(slug(() => assertWithinGrant({ ...caller, limits: { burstPerSecond: 2 } }, target({ limits: { burstPerSecond: 3 } }), 'create')), '403 limits-not-allowed');
    assert.equal(slug(() => assertWithinGrant({ ...caller, limits: { quota: null } }, target({ limits: { quota: null } }), 'create')), null);
    // internal: any overrides (scopes and channels still apply).
    const internal: KeyGrant = { ...caller, tier: 'internal' };
    assert.equal(slug(() => assertWithinGrant(internal, target({ tier: 'internal', limits: { burstPerSecond: 100_000, quota: null } }), 'create')), null);
    assert.equal(slug(() => assertWithinGrant(internal, target({ scopes: ['vault:read'] }), 'create')), '403 insufficient-scope');
    // An unbound caller may grant any channels.
    assert.equal(slug(() => assertWithinGrant({ ...caller, channels: null }, target({ channels: null }), 'create')), null);
  });

  it('compares quotas in every window, across periods', () => {
    assert.equal(quotaWithin({ limit: 10, period: 'day' }, null), true);
    assert.equal(quotaWithin(null, { limit: 10, period: 'day' }), false);
    assert.equal(quotaWithin({ limit: 10, period: 'day' }, { limit: 10, period: 'day' }), true);
    assert.equal(quotaWithin({ limit: 11, period: 'day' }, { limit: 10, period: 'day' }), false);
    assert.equal(quotaWithin({ limit: 500, period: 'month' }, { limit: 500, period: 'day' }), true);
    assert.equal(quotaWithin({ limit: 501, period: 'month' }, { limit: 500, period: 'day' }), false);
    assert.equal(quotaWithin({ limit: 161, period: 'day' }, { limit: 5000, period: 'month' }), true);
    assert.equal(quotaWithin({ limit: 162, period: 'day' }, { limit: 5000, period: 'month' }), false);
  });
});
