import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import Razorpay from 'razorpay';
import { razorpaySignature, verifyRazorpaySignature } from './razorpay-signature';

const SECRET = 'whsec_current_0123456789';
const PREVIOUS = 'whsec_previous_9876543210';
const body = Buffer.from(JSON.stringify({ entity: 'event', event: 'payment.captured', payload: { payment: { entity: { id: 'pay_1', amount: 89900 } } } }));

describe('Razorpay webhook signature', () => {
  it('accepts the HMAC of the exact bytes under the current or the previous secret', () => {
    assert.equal(verifyRazorpaySignature(body, razorpaySignature(body, SECRET), [SECRET, PREVIOUS]), true);
    assert.equal(verifyRazorpaySignature(body, razorpaySignature(body, PREVIOUS), [SECRET, PREVIOUS]), true);
    assert.equal(verifyRazorpaySignature(body, razorpaySignature(body, PREVIOUS), [SECRET]), false, 'a retired secret no longer verifies');
  });

  it('refuses a body changed by one byte, a re-serialised body and a wrong secret', () => {
    const sig = razorpaySignature(body, SECRET);
    for (let i = 0; i < body.length; i += 7) {
      const changed = Buffer.from(body);
      changed[i] ^= 0x01;
      assert.equal(verifyRazorpaySignature(changed, sig, [SECRET]), false, `byte ${i}`);
    }
    const pretty = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    assert.equal(verifyRazorpaySignature(pretty, sig, [SECRET]), false);
    assert.equal(verifyRazorpaySignature(body, razorpaySignature(body, 'other'), [SECRET]), false);
  });

  it('refuses malformed headers without throwing', () => {
    const sig = razorpaySignature(body, SECRET);
    for (const bad of [undefined, '', sig.slice(0, 63), sig + '0', sig.slice(0, 62) + 'zz', [sig, sig], ' '.repeat(64)]) {
      assert.equal(verifyRazorpaySignature(body, bad as string | undefined, [SECRET]), false, String(bad));
    }
    assert.equal(verifyRazorpaySignature(body, sig.toUpperCase(), [SECRET]), true, 'hex case does not matter');
    assert.equal(verifyRazorpaySignature(body, sig, []), false, 'no secret configured: nothing verifies');
  });

  it('agrees with the razorpay SDK on random bodies and signatures', () => {
    for (let i = 0; i < 200; i++) {
      const raw = randomBytes(1 + (i % 64)).toString('base64');
      const secret = randomBytes(12).toString('hex');
      const good = razorpaySignature(raw, secret);
      const bad = i % 2 ? razorpaySignature(raw + 'x', secret) : razorpaySignature(raw, secret + 'x');
      for (const sig of [good, bad]) {
        assert.equal(verifyRazorpaySignature(Buffer.from(raw), sig, [secret]), Razorpay.validateWebhookSignature(raw, sig, secret));
      }
    }
  });
});
