import '../support/test-env';
import type { ExecutionContext } from '@nestjs/common';
import { REQUIRED_SCOPES } from '@hub/core';
import { ApiKeyGuard, formatKey } from '@hub/api-keys';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CatalogProbeModule, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('');
const b62 = (n: number) => fc.array(fc.constantFrom(...BASE62), { minLength: n, maxLength: n }).map((a) => a.join(''));

/** Keys that must all be refused: junk, near-misses of a real key, and well-formed keys nobody issued. */
function badKeys(real: string) {
  const keyId = real.slice(9, 21);
  const secret = real.slice(22, 54);
  return fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.string({ unit: 'grapheme', maxLength: 70 }),
    fc.stringMatching(/^nsk_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/),
    fc.tuple(fc.constantFrom('live', 'test') as fc.Arbitrary<'live' | 'test'>, b62(12), b62(32)).map(([e, k, s]) => formatKey(e, k, s)),
    b62(32).filter((s) => s !== secret).map((s) => formatKey('test', keyId, s)),
    fc.constant(formatKey('live', keyId, secret)),
    fc.tuple(fc.nat(real.length - 1), fc.constantFrom(...BASE62, '_', '-', ' ', 'é')).map(([i, c]) => real.slice(0, i) + c + real.slice(i + 1)).filter((k) => k !== real),
    // Spaces around the real key are not a different key: `Authorization: Bearer  <key> ` is the key
    // (RFC 9110 allows several spaces after the scheme, and HTTP trims header values), so they are left out here.
    fc.tuple(fc.nat(real.length), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => real.slice(0, i) + s + real.slice(i)).filter((k) => k.trim() !== real),
    fc.nat(real.length - 1).map((i) => real.slice(0, i)),
    fc.constant(real.toUpperCase()),
  );
}

describe('10,000 generated malformed or made-up keys: none accepted, none 5xx', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let real: string;

  before(async () => {
    db = await createTestDatabase('keysfuzz');
    // The brute-force brake would answer 429 before verification; lift it to exercise the verifier itself.
    process.env.AUTH_FAILURES_PER_MINUTE = '1000000000';
    api = await startApi({ extraModules: [CatalogProbeModule] });
    delete process.env.AUTH_FAILURES_PER_MINUTE;
    real = await createTestKey(api.app, { scopes: ['catalog:read'] });
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  it('at the verifier: 10,000 keys, 0 accepted, every refusal a 4xx', async () => {
    const guard = api.app.get(ApiKeyGuard, { strict: false });
    function handler() {}
    Reflect.defineMetadata(REQUIRED_SCOPES, ['catalog:read'], handler);
    class Probe {}
    const verdict = async (key: string, header: 'authorization' | 'x-api-key') => {
      const value = header === 'authorization' ? `Bearer ${key}` : key;
      const req = { headers: { [header]: value }, raw: { rawHeaders: [header, value] }, clientIp: '127.0.0.1', socket: {}, id: 'req_fuzz' };
      const reply = { header() {}, raw: { once() {}, statusCode: 200 }, elapsedTime: 0 };
      const ctx = { getHandler: () => handler, getClass: () => Probe, getArgByIndex: (i: number) => [req, reply][i] } as unknown as ExecutionContext;
      try {
        return (await guard.canActivate(ctx)) ? 200 : 403;
      } catch (err) {
        return typeof (err as { getStatus?: () => number }).getStatus === 'function' ? (err as { getStatus: () => number }).getStatus() : 500;
      }
    };
    // The harness itself works: the real key passes, with any number of spaces after the scheme too.
    assert.equal(await verdict(real, 'authorization'), 200);
    assert.equal(await verdict(`  ${real}  `, 'authorization'), 200);
    let runs = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(badKeys(real), fc.boolean(), async (key, viaAuth) => {
        runs++;
        const s = await verdict(key, viaAuth ? 'authorization' : 'x-api-key');
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
        return s >= 400 && s < 500;
      }),
      { numRuns: 10_000 },
    );
    assert.equal(runs, 10_000);
    assert.equal(statuses.get(200), undefined);
    assert.ok((statuses.get(401) ?? 0) > 9_000, JSON.stringify([...statuses]));
  });

  it('over HTTP: a 300-key sample, 0 accepted, 0 5xx', async () => {
    const samples = fc.sample(badKeys(real), { numRuns: 300, seed: 42 });
    let sent = 0;
    for (const key of samples) {
      let res: Response;
      try {
        res = await fetch(`${api.url}/__keys_probe/catalog`, { headers: { authorization: `Bearer ${key}` } });
      } catch {
        continue; // not sendable as an HTTP header (control characters, non-Latin-1)
      }
      sent++;
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(key)} -> ${res.status}`);
      await res.arrayBuffer();
    }
    assert.ok(sent > 200, `only ${sent} were sendable`);
  });
});
