import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, loadConfig } from '@hub/core';
import { AnalyticsConfig } from './analytics.config';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(AnalyticsConfig, env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigValidationError);
    return err.problems.map((p) => p.variable);
  }
};

describe('AnalyticsConfig', () => {
  it('has the documented defaults and reads overrides', () => {
    const cfg = loadConfig(AnalyticsConfig, {});
    assert.deepEqual(
      [cfg.KEY_ZOMBIE_DAYS, cfg.KEY_SILENT_HOURS, cfg.KEY_SILENT_BASELINE_DAYS, cfg.KEY_SILENT_MIN_ACTIVE_DAYS, cfg.KEY_ANOMALY_FACTOR, cfg.KEY_ANOMALY_MIN_REQUESTS, cfg.QUOTA_NEAR_RATIO, cfg.KEY_ERROR_RATE_RATIO, cfg.KEY_ERROR_RATE_5XX_RATIO, cfg.KEY_ERROR_RATE_MIN_REQUESTS],
      [30, 24, 7, 5, 5, 100, 0.8, 0.2, 0.05, 20],
    );
    assert.equal(loadConfig(AnalyticsConfig, { KEY_ZOMBIE_DAYS: '90', QUOTA_NEAR_RATIO: '0.9' }).QUOTA_NEAR_RATIO, 0.9);
  });

  it('stops the boot naming each bad threshold', () => {
    assert.deepEqual(problems({ KEY_ZOMBIE_DAYS: '0' }), ['KEY_ZOMBIE_DAYS']);
    assert.deepEqual(problems({ KEY_SILENT_HOURS: 'a day' }), ['KEY_SILENT_HOURS']);
    assert.deepEqual(problems({ KEY_SILENT_MIN_ACTIVE_DAYS: '8' }), ['KEY_SILENT_MIN_ACTIVE_DAYS'], 'more active days than the baseline has');
    assert.deepEqual(problems({ KEY_SILENT_MIN_ACTIVE_DAYS: '8', KEY_SILENT_BASELINE_DAYS: '10' }), []);
    assert.deepEqual(problems({ QUOTA_NEAR_RATIO: '80' }), ['QUOTA_NEAR_RATIO']);
    assert.deepEqual(problems({ KEY_ANOMALY_FACTOR: '1' }), ['KEY_ANOMALY_FACTOR']);
    assert.deepEqual(problems({ KEY_ERROR_RATE_MIN_REQUESTS: '2.5' }), ['KEY_ERROR_RATE_MIN_REQUESTS']);
  });

  it('keeps usage at least as long as the analytics read back', () => {
    assert.equal(loadConfig(AnalyticsConfig, {}).USAGE_RETENTION_DAYS, 400);
    assert.deepEqual(problems({ USAGE_RETENTION_DAYS: '91' }), ['USAGE_RETENTION_DAYS'], 'shorter than the 92-day analytics window');
    assert.deepEqual(problems({ USAGE_RETENTION_DAYS: '92' }), []);
    assert.deepEqual(problems({ USAGE_RETENTION_DAYS: '30', ANALYTICS_MAX_WINDOW_DAYS: '30' }), []);
    assert.deepEqual(problems({ USAGE_RETENTION_DAYS: '30', ANALYTICS_MAX_WINDOW_DAYS: '30', KEY_SILENT_BASELINE_DAYS: '30' }), ['USAGE_RETENTION_DAYS'], 'silence (1 day) plus a 30-day baseline');
    assert.deepEqual(problems({ USAGE_RETENTION_DAYS: '7', ANALYTICS_MAX_WINDOW_DAYS: '7' }), ['USAGE_RETENTION_DAYS'], 'the anomaly baseline reads 8 days');
    assert.deepEqual(problems({ USAGE_RETENTION_DAYS: 'forever' }), ['USAGE_RETENTION_DAYS']);
  });

  it('keeps audit events two years, authentication failures 90 days, never longer than the rest', () => {
    const cfg = loadConfig(AnalyticsConfig, {});
    assert.equal(cfg.AUDIT_RETENTION_DAYS, 730);
    assert.equal(cfg.AUDIT_AUTH_FAILURE_RETENTION_DAYS, 90);
    assert.deepEqual(problems({ AUDIT_RETENTION_DAYS: '29', AUDIT_AUTH_FAILURE_RETENTION_DAYS: '7' }), ['AUDIT_RETENTION_DAYS']);
    assert.deepEqual(problems({ AUDIT_RETENTION_DAYS: '60' }), ['AUDIT_AUTH_FAILURE_RETENTION_DAYS'], 'failures kept longer than the trail they belong to');
    assert.deepEqual(problems({ AUDIT_RETENTION_DAYS: '60', AUDIT_AUTH_FAILURE_RETENTION_DAYS: '60' }), []);
    assert.deepEqual(problems({ AUDIT_AUTH_FAILURE_RETENTION_DAYS: '0' }), ['AUDIT_AUTH_FAILURE_RETENTION_DAYS']);
  });
});
