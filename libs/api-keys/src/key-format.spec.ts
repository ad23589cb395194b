import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base62Checksum, crc32Ascii, formatKey, generateKey, parseKey } from './key-format';
import { crc32 } from 'node:zlib';
import { PepperRing } from './pepper';
import { BurstLimiter, AuthFailureLimiter } from './limits/burst-limiter';
import { quotaPeriod } from './limits/quota-period';

describe('key format', () => {
  it('checksum is CRC32 (IEEE) in base62 0-9A-Za-z, left-padded to 6', () => {
    // CRC32("123456789") = 0xCBF43926 (the standard check value), converted to base62 independently here.
    let n = 0xcbf43926;
    let expected = '';
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    while (n > 0) {
      expected = alphabet[n % 62] + expected;
      n = Math.floor(n / 62);
    }
    assert.equal(base62Checksum('123456789'), expected.padStart(6, '0'));
    // CRC32("") = 0 -> all padding.
    assert.equal(base62Checksum(''), '000000');
  });

  it('the JS CRC-32 that parseKey uses equals zlib\'s on ASCII text', () => {
    assert.equal(crc32Ascii('123456789'), 0xcbf43926);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'.split('')), { maxLength: 80 }).map((cs) => cs.join('')), (s) => {
        assert.equal(crc32Ascii(s), crc32(s));
      }),
      { numRuns: 2000 },
    );
    const key = generateKey('live').key;
    assert.equal(crc32Ascii(key, key.length - 6), crc32(key.slice(0, -6)));
  });

  it('refuses a key whose checksum is off by one in any digit, or holds a non-base62 character', () => {
    const key = generateKey('test').key;
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let i = key.length - 6; i < key.length; i++) {
      const next = alphabet[(alphabet.indexOf(key[i]) + 1) % 62];
      assert.equal(parseKey(key.slice(0, i) + next + key.slice(i + 1)), null);
      assert.equal(parseKey(key.slice(0, i) + '-' + key.slice(i + 1)), null);
    }
  });

  it('generates keys matching the CONTRACT regex that parse back', () => {
    for (let i = 0; i < 200; i++) {
      const env = i % 2 ? 'live' : 'test';
      const { key, keyId, secret } = generateKey(env);
      assert.match(key, /^nsk_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
      assert.deepEqual(parseKey(key), { environment: env, keyId, secret });
    }
  });

  it('uses the whole base62 alphabet (no modulo bias towards the first characters)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) for (const c of generateKey('live').secret) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    const min = Math.min(...counts.values());
    const max = Math.max(...counts.values());
    assert.ok(max / min < 2, `${min}..${max}`);
  });

  it('rejects any single-character change of a valid key', () => {
    const { key } = generateKey('live');
    fc.assert(
      fc.property(fc.nat(key.length - 1), fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'), (i, c) => {
        fc.pre(key[i] !== c);
        return parseKey(key.slice(0, i) + c + key.slice(i + 1)) === null;
      }),
      { numRuns: 2000 },
    );
    assert.equal(parseKey(formatKey('live', 'A'.repeat(12), 'b'.repeat(32)).replace('live', 'prod')), null);
  });
});

describe('pepper ring', () => {
  it('hashes new secrets with the highest version and verifies older rows with their own', () => {
    const v1 = new PepperRing('v1:first-pepper-0000000000');
    const both = new PepperRing('v1:first-pepper-0000000000,v2:second-pepper-000000000');
    assert.equal(both.current, 2);
    const old = v1.hash('s3cret');
    assert.ok(both.matches('s3cret', 1, old));
    assert.ok(!both.matches('s3cret', 2, old));
    assert.ok(!both.matches('s3creT', 1, old));
    assert.ok(!v1.matches('s3cret', 2, both.hash('s3cret')), 'an unknown pepper version never matches');
    assert.throws(() => new PepperRing('no-version'), /API_KEY_PEPPER/);
  });
});

describe('limits', () => {
  it('burst bucket admits the burst, then refills at the rate, scaled by the instance share', () => {
    const b = new BurstLimiter();
    const t = 1_000_000;
    let ok = 0;
    for (let i = 0; i < 20; i++) if (b.take('k', 5, 1, t).ok) ok++;
    assert.equal(ok, 5);
    const refused = b.take('k', 5, 1, t);
    assert.equal(refused.retryAfter, 1);
    assert.ok(b.take('k', 5, 1, t + 200).ok, 'one token back after 200 ms');
    const half = new BurstLimiter();
    ok = 0;
    for (let i = 0; i < 20; i++) if (half.take('k', 10, 0.5, t).ok) ok++;
    assert.equal(ok, 5);
    // A 1/s key on two instances: each refills at 0.5/s, so together they sustain 1/s.
    const slow = new BurstLimiter();
    assert.ok(slow.take('k', 1, 0.5, t).ok);
    assert.equal(slow.take('k', 1, 0.5, t + 1000).ok, false);
    assert.equal(slow.take('k', 1, 0.5, t + 1000).retryAfter, 1);
    assert.ok(slow.take('k', 1, 0.5, t + 2000).ok);
  });

  it('auth failure brake opens after the limit and closes with the minute', () => {
    const l = new AuthFailureLimiter(3);
    const t = 60_000 * 1000 + 10_000;
    for (let i = 0; i < 3; i++) {
      assert.equal(l.blockedFor('1.2.3.4', t), 0);
      l.failed('1.2.3.4', t);
    }
    assert.equal(l.blockedFor('1.2.3.4', t), 50);
    assert.equal(l.blockedFor('1.2.3.5', t), 0);
    assert.equal(l.blockedFor('1.2.3.4', t + 50_000), 0);
  });

  it('quota periods are the UTC day and the calendar month', () => {
    const t = Date.UTC(2026, 1, 28, 23, 59, 30);
    assert.deepEqual(quotaPeriod('day', t), { id: 'd2026-02-28', endsAt: Date.UTC(2026, 2, 1), seconds: 86_400 });
    assert.deepEqual(quotaPeriod('month', t), { id: 'm2026-02', endsAt: Date.UTC(2026, 2, 1), seconds: 28 * 86_400 });
  });
});
