import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('vault: dates and versions the database cannot take are a 400 naming the field (api only; partners unreachable)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  const tz = process.env.TZ;

  before(async () => {
    // A zone ahead of UTC, so a zoneless date read in local time would show.
    process.env.TZ = 'Asia/Kolkata';
    db = await createTestDatabase('vault-bad-input');
    api = await startApi();
    admin = await createTestKey(api.app, { scopes: 'all' });
  });
  after(async () => {
    await api?.close();
    await db?.drop();
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  const send = (method: string, path: string, body: unknown) =>
    fetch(`${api.url}/v1/vault/credentials/${path}`, { method, headers: { ...bearer(admin), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const nykaa = (expiresAt: string) => send('PUT', 'nykaa', { fields: { apiKey: 'k', sellerId: 's' }, expiresAt });
  const badField = async (res: Response, field: string) => {
    assert.equal(res.status, 400, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    const body: any = await res.json();
    assert.ok(body.errors.some((e: { field: string }) => e.field === field), `errors should name ${field}: ${JSON.stringify(body.errors)}`);
  };

  it('PUT with a week date, an ordinal date or a basic-format date as expiresAt is a 400 naming expiresAt', async () => {
    for (const expiresAt of ['2027-W10', '2027-W10-1', '2027-100', '20271231', '2027-02-30']) await badField(await nykaa(expiresAt), 'expiresAt');
  });

  it('a zoneless expiresAt is read as UTC, not in the server zone', async () => {
    // The partner is unreachable, so the version stays pending (503) and the answer shows what was stored.
    const res = await nykaa('2099-06-01T10:00');
    assert.equal(res.status, 503, await res.clone().text());
    const body: any = await res.json();
    assert.equal(body.credential.expiresAt, '2099-06-01T10:00:00.000Z');
  });

  it('POST .../verify with a version beyond a Postgres integer is a 400 naming version; the largest one is looked up', async () => {
    await badField(await send('POST', 'nykaa/verify', { version: 3_000_000_000 }), 'version');
    await badField(await send('POST', 'nykaa/verify', { version: 2_147_483_648 }), 'version');
    assert.equal((await send('POST', 'nykaa/verify', { version: 2_147_483_647 })).status, 404);
  });
});
