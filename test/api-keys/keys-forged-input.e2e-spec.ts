import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { callApi, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('forged cursors and dates on /v1/keys and /v1/audit-events: 400 naming the field, never 500', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  const get = (path: string) => callApi(api.url, 'GET', path, admin);
  const rejects = async (path: string, field: string) => {
    const res = await get(path);
    assert.equal(res.status, 400, `${path} -> ${res.status} ${res.text}`);
    assert.ok(res.headers.get('content-type')?.startsWith('application/problem+json'));
    assert.ok(res.body.type.endsWith('/validation-failed'), res.text);
    assert.deepEqual(res.body.errors.map((e: any) => e.field), [field], res.text);
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64url');

  before(async () => {
    db = await createTestDatabase('keysforged');
    api = await startApi();
    admin = await createTestKey(api.app, { scopes: 'all', name: 'admin' });
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  it('GET /v1/keys refuses forged cursors that Date.parse takes and Postgres would not', async () => {
    const id = 'AAAAAAAAAAAA';
    for (const text of [
      'x 2020|abc', // the reviewer's eCAyMDIwfGFiYw
      `x 2020|${id}`,
      `0000-01-01T00:00:00.000Z|${id}`,
      `2020-02-30T00:00:00.000Z|${id}`,
      `+275760-09-13T00:00:00.000Z|${id}`,
      `2020-01-01T00:00:00.000Z|${id}|x`,
      `2020-01-01T00:00:00.000Z|${'-'.repeat(12)}`,
      `2020-01-01T00:00:00.000Z|${id}\u0000`,
      '2020-01-01T00:00:00.000Z|',
      `Sat, 01 Jan 2000 00:00:00 GMT|${id}`,
    ]) {
      await rejects(`/v1/keys?cursor=${b64(text)}`, 'cursor');
    }
    assert.equal(b64('x 2020|abc'), 'eCAyMDIwfGFiYw');
    for (const raw of ['eCAyMDIwfGFiYw==', '%25%25%25', 'MjAyMC0wMS0wMVQwMDowMDowMC4wMDBafEFBQUFBQUFBQUFBQQ.']) await rejects(`/v1/keys?cursor=${raw}`, 'cursor');
    // A well-formed cursor still pages.
    assert.equal((await get(`/v1/keys?cursor=${b64(`2999-01-01T00:00:00.000Z|${id}`)}`)).status, 200);
  });

  it('GET /v1/keys pages keys created within one millisecond without skipping any', async () => {
    const ds = api.app.get(DataSource);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createTestKey(api.app, { scopes: ['catalog:read'], name: `same ms ${i}` })).slice(9, 21));
    // Same millisecond, different microseconds, newer than every other key.
    for (const [i, keyId] of ids.entries()) await ds.query(`UPDATE api_keys SET created_at = $2 WHERE key_id = $1`, [keyId, `2999-01-01T00:00:00.000${i}00Z`]);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res = await get(`/v1/keys?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.text);
      seen.push(res.body.data[0].keyId);
      cursor = res.body.nextCursor;
    }
    assert.deepEqual(seen, [...ids].reverse());
  });

  it('GET /v1/audit-events refuses week and ordinal dates (IsISO8601 takes them, new Date cannot) and cursors past bigint', async () => {
    for (const field of ['from', 'to']) {
      for (const v of ['2020-W01', '2020-100', '2020-W01-1', '2020-012', '20200101', '2020-01-01T10', '2020-01-01T10:00:00.1234567890Z']) {
        await rejects(`/v1/audit-events?${field}=${encodeURIComponent(v)}`, field);
      }
    }
    for (const cursor of ['9999999999999999999', '9223372036854775808', '-1', '1e3']) await rejects(`/v1/audit-events?cursor=${cursor}`, 'cursor');
    const ok = await get(`/v1/audit-events?cursor=9223372036854775807&from=${encodeURIComponent('2020-01-01T00:00:00+05:30')}&to=2999-01-01`);
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.body.data.length > 0);
    // The key usage endpoint reads its dates the same way.
    await rejects(`/v1/keys/${admin.slice(9, 21)}/usage?from=2020-W01`, 'from');
    await rejects(`/v1/keys/${admin.slice(9, 21)}/usage?from=2020-012`, 'from');
  });
});
