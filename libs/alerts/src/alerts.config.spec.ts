import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, loadConfig } from '@hub/core';
import { AlertsConfig } from './alerts.config';

const SECRET = 'whsec_' + Buffer.alloc(24, 1).toString('base64');

describe('AlertsConfig', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(AlertsConfig, env);
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigValidationError);
      return e.problems.map((p) => `${p.variable}: ${p.message}`);
    }
  };

  it('takes both alert webhook settings, or neither', () => {
    assert.deepEqual(problems({}), []);
    assert.deepEqual(problems({ ALERT_WEBHOOK_URL: 'https://ops.example/alerts', ALERT_WEBHOOK_SECRET: SECRET }), []);
  });

  it('stops boot when one is set without the other, naming the missing one (alerts would silently not be sent)', () => {
    assert.deepEqual(problems({ ALERT_WEBHOOK_URL: 'https://ops.example/alerts' }), ['ALERT_WEBHOOK_SECRET: is required when ALERT_WEBHOOK_URL is set (a whsec_ secret to sign the alerts with)']);
    assert.deepEqual(problems({ ALERT_WEBHOOK_SECRET: SECRET }), ['ALERT_WEBHOOK_URL: is required when ALERT_WEBHOOK_SECRET is set (where to POST the signed alerts)']);
    assert.match(problems({ ALERT_WEBHOOK_URL: 'https://ops.example/alerts', ALERT_WEBHOOK_SECRET: 'hunter2' })[0], /^ALERT_WEBHOOK_SECRET: must be whsec_/);
  });
});
