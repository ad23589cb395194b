import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Envelope, VaultDecryptionError } from './envelope';
import { MasterKeyRing } from './master-keys';

const k = () => randomBytes(32).toString('base64');

describe('vault envelope encryption', () => {
  const v1 = k();
  const v2 = k();
  const fields = { keyId: 'rzp_test_X', keySecret: 'canary-secret-1', webhookSecret: 'canary-secret-2' };

  it('round-trips under the newest master key and records its version', () => {
    const env = new Envelope(new MasterKeyRing(`v1:${v1},v2:${v2}`));
    const sealed = env.encrypt('razorpay', 3, fields);
    assert.equal(sealed.masterKeyVersion, 2);
    assert.deepEqual(env.decrypt('razorpay', 3, sealed), fields);
    assert.ok(!sealed.ciphertext.toString('latin1').includes('canary'), 'ciphertext must not contain the plaintext');
  });

  it('uses a fresh data key and IV per version (same fields, different bytes)', () => {
    const env = new Envelope(new MasterKeyRing(`v1:${v1}`));
    const a = env.encrypt('razorpay', 1, fields);
    const b = env.encrypt('razorpay', 1, fields);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.notDeepEqual(a.wrappedKey, b.wrappedKey);
  });

  it('refuses a flipped ciphertext bit, a flipped wrapped-key bit, and a row moved to another partner or version', () => {
    const env = new Envelope(new MasterKeyRing(`v1:${v1}`));
    const sealed = env.encrypt('razorpay', 1, fields);
    const flip = (b: Buffer, i: number) => {
      const c = Buffer.from(b);
      c[i] ^= 1;
      return c;
    };
    assert.throws(() => env.decrypt('razorpay', 1, { ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.length - 1) }), (e) => e instanceof VaultDecryptionError && /ciphertext failed authentication/.test(e.message));
    assert.throws(() => env.decrypt('razorpay', 1, { ...sealed, wrappedKey: flip(sealed.wrappedKey, 20) }), (e) => e instanceof VaultDecryptionError && /wrapped data key/.test(e.message));
    assert.throws(() => env.decrypt('razorpay', 2, sealed), VaultDecryptionError);
    assert.throws(() => env.decrypt('amazon', 1, sealed), VaultDecryptionError);
  });

  it('re-encrypts under a new master key so the old one can be removed', () => {
    const old = new Envelope(new MasterKeyRing(`v1:${v1}`));
    const sealed = old.encrypt('nykaa', 1, { apiKey: 'a', sellerId: 'b' });
    const both = new Envelope(new MasterKeyRing(`v1:${v1},v2:${v2}`));
    const moved = both.reencrypt('nykaa', 1, sealed);
    assert.equal(moved.masterKeyVersion, 2);
    const onlyNew = new Envelope(new MasterKeyRing(`v2:${v2}`));
    assert.deepEqual(onlyNew.decrypt('nykaa', 1, moved), { apiKey: 'a', sellerId: 'b' });
    assert.throws(() => onlyNew.decrypt('nykaa', 1, sealed), /master key v1 is not in HUB_MASTER_KEYS/);
  });

  it('fingerprints are stable, short, keyed by the fingerprint key, and differ per secret', () => {
    const fpKey = randomBytes(32);
    const a = new Envelope(new MasterKeyRing(`v1:${v1}`));
    assert.throws(() => a.fingerprint(fields), /fingerprint key is not loaded/);
    a.useFingerprintKey(fpKey);
    const other = new Envelope(new MasterKeyRing(`v1:${v1}`));
    other.useFingerprintKey(randomBytes(32));
    assert.match(a.fingerprint(fields), /^[0-9a-f]{12}$/);
    assert.equal(a.fingerprint(fields), a.fingerprint({ webhookSecret: fields.webhookSecret, keySecret: fields.keySecret, keyId: fields.keyId }));
    assert.notEqual(a.fingerprint(fields), a.fingerprint({ ...fields, keySecret: 'other' }));
    assert.notEqual(a.fingerprint(fields), other.fingerprint(fields), 'a different fingerprint key gives a different fingerprint');
  });

  it('fingerprints do not change when a master key is added or the old one removed', () => {
    const fpKey = randomBytes(32);
    const before = new Envelope(new MasterKeyRing(`v1:${v1}`));
    const wrapped = before.wrapKey('fingerprint', fpKey);
    before.useFingerprintKey(before.unwrapKey('fingerprint', wrapped));
    const added = new Envelope(new MasterKeyRing(`v1:${v1},v2:${v2}`));
    added.useFingerprintKey(added.unwrapKey('fingerprint', wrapped));
    assert.equal(added.fingerprint(fields), before.fingerprint(fields));
    // Rewrapped under v2, then v1 removed.
    const moved = added.wrapKey('fingerprint', added.unwrapKey('fingerprint', wrapped));
    assert.equal(moved.masterKeyVersion, 2);
    const onlyNew = new Envelope(new MasterKeyRing(`v2:${v2}`));
    onlyNew.useFingerprintKey(onlyNew.unwrapKey('fingerprint', moved));
    assert.equal(onlyNew.fingerprint(fields), before.fingerprint(fields));
    assert.throws(() => onlyNew.unwrapKey('fingerprint', wrapped), /master key v1 is not in HUB_MASTER_KEYS/);
    assert.throws(() => onlyNew.unwrapKey('other', moved), /failed authentication/);
  });
});
