import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signWebhook, verifyWebhook } from './standard-webhooks';

describe('Standard Webhooks signing', () => {
  // Test vector from the Standard Webhooks specification's reference libraries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = 1614265330;
  const body = '{"test": 2432232314}';

  it('matches the reference signature', () => {
    assert.equal(signWebhook(secret, id, ts, body), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies its own signature and refuses a changed body, id, old timestamp or other secret', () => {
    const sig = signWebhook(secret, id, ts, body);
    const h = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
    assert.equal(verifyWebhook(secret, h, body, 300, ts), true);
    assert.equal(verifyWebhook(secret, h, body + ' ', 300, ts), false);
    assert.equal(verifyWebhook(secret, { ...h, 'webhook-id': 'msg_other' }, body, 300, ts), false);
    assert.equal(verifyWebhook(secret, h, body, 300, ts + 301), false);
    assert.equal(verifyWebhook('whsec_' + Buffer.from('another-secret').toString('base64'), h, body, 300, ts), false);
    assert.equal(verifyWebhook(secret, { ...h, 'webhook-signature': `v1,bogus ${sig}` }, body, 300, ts), true);
  });
});
