import '../support/test-env';
import { InventoryService } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('inventory over HTTP (/v1/inventory; API keys, problem+json, idempotency)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let ds: DataSource;
  let inv: InventoryService;
  let writer: string;
  let reader: string;
  let nykaaOnly: string;

  before(async () => {
    db = await createTestDatabase('invhttp');
    api = await startApi();
    ds = api.app.get(DataSource);
    inv = api.app.get(InventoryService, { strict: false });
    writer = await createTestKey(api.app, { scopes: ['inventory:read', 'inventory:write'] });
    reader = await createTestKey(api.app, { scopes: ['inventory:read'] });
    nykaaOnly = await createTestKey(api.app, { scopes: ['inventory:read'], channels: ['nykaa'] });
    await ds.transaction((m) => inv.ensureItem(m, 'HTTP-1', 10));
    await inv.trackChannel('HTTP-1', 'amazon');
    await inv.trackChannel('HTTP-1', 'nykaa');
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, key: string | null, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { ...(key ? bearer(key) : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const problem = async (res: Response, status: number, slug: string) => {
    assert.equal(res.status, status, `expected ${status} ${slug}, got ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body: any = await res.json();
    assert.ok(body.type.endsWith('/' + slug), `${body.type} should end with ${slug}`);
    assert.equal(body.requestId, res.headers.get('x-request-id'));
    return body;
  };
  const stock = async (sku: string) => {
    const l = (await inv.getLevel(sku))!;
    return [l.onHand, l.reserved];
  };

  it('GET shows on-hand, reserved, available and per-channel sync state', async () => {
    await ds.transaction((m) => inv.reserve(m, { orderId: 'h1', channel: 'storefront', lines: [{ lineId: '1', sku: 'HTTP-1', quantity: 3 }] }));
    const res = await call('GET', '/v1/inventory/HTTP-1', reader);
    assert.equal(res.status, 200);
    const body: any = await res.json();
    assert.equal(body.sku, 'HTTP-1');
    assert.deepEqual([body.onHand, body.reserved, body.available], [10, 3, 7]);
    assert.deepEqual(body.channels.map((c: any) => c.channel), ['amazon', 'nykaa']);
    for (const c of body.channels) {
      assert.equal(c.allocatedQuantity, 7);
      assert.ok('lastConfirmedQuantity' in c && 'state' in c && 'lastSyncedAt' in c && 'lastError' in c);
    }
    const bound: any = await (await call('GET', '/v1/inventory/HTTP-1', nykaaOnly)).json();
    assert.deepEqual(bound.channels.map((c: any) => c.channel), ['nykaa'], 'a channel-bound key sees only its channels');
    await ds.transaction((m) => inv.releaseReservations(m, 'h1', 'test'));
  });

  it('PUT sets the absolute count and records a set movement', async () => {
    const res = await call('PUT', '/v1/inventory/HTTP-1', writer, { onHand: 25 });
    assert.equal(res.status, 200);
    const body: any = await res.json();
    assert.deepEqual([body.onHand, body.available], [25, 25]);
    const mv: any = await (await call('GET', '/v1/inventory/HTTP-1/movements?limit=1', reader)).json();
    assert.equal(mv.data[0].kind, 'set');
    assert.equal(mv.data[0].onHandDelta, 15);
    assert.match(mv.data[0].actorKeyId, /^[0-9A-Za-z]{12}$/);
  });

  it('POST adjustments is idempotent per Idempotency-Key: same body replays, different body is 422', async () => {
    const before = await stock('HTTP-1');
    const first = await call('POST', '/v1/inventory/HTTP-1/adjustments', writer, { delta: 5, reason: 'delivery PO-1' }, { 'idempotency-key': 'adj-1' });
    assert.equal(first.status, 201);
    const a: any = await first.json();
    assert.equal(a.onHand, before[0] + 5);
    const again = await call('POST', '/v1/inventory/HTTP-1/adjustments', writer, { delta: 5, reason: 'delivery PO-1' }, { 'idempotency-key': 'adj-1' });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await again.json(), a);
    assert.deepEqual(await stock('HTTP-1'), [before[0] + 5, before[1]], 'applied once');
    await problem(await call('POST', '/v1/inventory/HTTP-1/adjustments', writer, { delta: 6, reason: 'delivery PO-1' }, { 'idempotency-key': 'adj-1' }), 422, 'idempotency-key-reused');
    await problem(await call('POST', '/v1/inventory/HTTP-1/adjustments', writer, { delta: 5, reason: 'x' }), 400, 'missing-idempotency-key');
    assert.deepEqual(await stock('HTTP-1'), [before[0] + 5, before[1]]);
  });

  it('refuses bad input with a 4xx naming the field and changes nothing', async () => {
    const before = await stock('HTTP-1');
    const cases: [string, string, unknown, Record<string, string>, number, string, string?][] = [
      ['PUT', '/v1/inventory/HTTP-1', { onHand: 1.5 }, {}, 400, 'validation-failed', 'onHand'],
      ['PUT', '/v1/inventory/HTTP-1', { onHand: -1 }, {}, 400, 'validation-failed', 'onHand'],
      ['PUT', '/v1/inventory/HTTP-1', { onHand: '7' }, {}, 400, 'validation-failed', 'onHand'],
      ['PUT', '/v1/inventory/HTTP-1', { onHand: 5_000_000_000 }, {}, 400, 'validation-failed', 'onHand'],
      ['PUT', '/v1/inventory/HTTP-1', {}, {}, 400, 'validation-failed', 'onHand'],
      ['PUT', '/v1/inventory/HTTP-1', { onHand: 3, extra: 1 }, {}, 400, 'validation-failed', 'extra'],
      ['PUT', '/v1/inventory/NOPE', { onHand: 3 }, {}, 404, 'not-found'],
      ['POST', '/v1/inventory/HTTP-1/adjustments', { delta: 0.5, reason: 'x' }, { 'idempotency-key': 'bad-1' }, 400, 'validation-failed', 'delta'],
      ['POST', '/v1/inventory/HTTP-1/adjustments', { delta: 0, reason: 'x' }, { 'idempotency-key': 'bad-2' }, 400, 'validation-failed', 'delta'],
      ['POST', '/v1/inventory/HTTP-1/adjustments', { delta: 1 }, { 'idempotency-key': 'bad-3' }, 400, 'validation-failed', 'reason'],
      ['POST', '/v1/inventory/HTTP-1/adjustments', { delta: -1_000_000, reason: 'x' }, { 'idempotency-key': 'bad-4' }, 422, 'invalid-adjustment', 'delta'],
      ['POST', '/v1/inventory/NOPE/adjustments', { delta: 1, reason: 'x' }, { 'idempotency-key': 'bad-5' }, 404, 'not-found'],
      ['GET', '/v1/inventory/NOPE', undefined, {}, 404, 'not-found'],
      ['GET', '/v1/inventory/NOPE/movements', undefined, {}, 404, 'not-found'],
      ['GET', '/v1/inventory/HTTP-1/movements?limit=0', undefined, {}, 400, 'validation-failed', 'limit'],
      ['GET', '/v1/inventory/HTTP-1/movements?cursor=zzz', undefined, {}, 400, 'validation-failed', 'cursor'],
      // A well-formed cursor whose id overflows bigint must not reach Postgres (it would be a 500).
      ['GET', `/v1/inventory/HTTP-1/movements?cursor=${Buffer.from('m9999999999999999999').toString('base64url')}`, undefined, {}, 400, 'validation-failed', 'cursor'],
    ];
    for (const [method, path, body, headers, status, slug, field] of cases) {
      const p = await problem(await call(method, path, writer, body, headers), status, slug);
      if (field) assert.ok(JSON.stringify(p.errors ?? []).includes(`"${field}"`), `${method} ${path} ${JSON.stringify(body)}: errors should name ${field}: ${JSON.stringify(p)}`);
    }
    assert.deepEqual(await stock('HTTP-1'), before);
  });

  it('refuses to set or adjust below the reserved units (422 naming the field)', async () => {
    await ds.transaction((m) => inv.reserve(m, { orderId: 'h2', channel: 'storefront', lines: [{ lineId: '1', sku: 'HTTP-1', quantity: 8 }] }));
    const before = await stock('HTTP-1');
    const set = await problem(await call('PUT', '/v1/inventory/HTTP-1', writer, { onHand: 7 }), 422, 'below-reserved');
    assert.equal(set.errors[0].field, 'onHand');
    const delta = before[1] - before[0] - 1;
    const adj = await problem(await call('POST', '/v1/inventory/HTTP-1/adjustments', writer, { delta, reason: 'shrinkage' }, { 'idempotency-key': 'below-1' }), 422, 'invalid-adjustment');
    assert.equal(adj.errors[0].field, 'delta');
    assert.deepEqual(await stock('HTTP-1'), before);
    // After the failure the key is free: the refused request left no record.
    const ok = await call('POST', '/v1/inventory/HTTP-1/adjustments', writer, { delta: delta + 1, reason: 'shrinkage' }, { 'idempotency-key': 'below-1' });
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as any).available, 0);
    await ds.transaction((m) => inv.releaseReservations(m, 'h2', 'test'));
  });

  it('pages the movement ledger with an opaque cursor, newest first', async () => {
    await ds.transaction((m) => inv.ensureItem(m, 'LEDGER-1', 1));
    for (let i = 0; i < 5; i++) await inv.adjust('LEDGER-1', 1, `delivery ${i}`, null);
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/v1/inventory/LEDGER-1/movements?limit=2${cursor ? `&cursor=${cursor}` : ''}`, reader);
      assert.equal(res.status, 200);
      const page: any = await res.json();
      seen.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen.map((m) => m.kind), ['adjustment', 'adjustment', 'adjustment', 'adjustment', 'adjustment', 'set']);
    assert.deepEqual(seen.map((m) => m.onHandAfter), [6, 5, 4, 3, 2, 1]);
    assert.equal(seen[0].reason, 'delivery 4');
  });

  it('needs a key with the right scope', async () => {
    await problem(await call('GET', '/v1/inventory/HTTP-1', null), 401, 'missing-api-key');
    const p = await problem(await call('PUT', '/v1/inventory/HTTP-1', reader, { onHand: 3 }), 403, 'insufficient-scope');
    assert.match(JSON.stringify(p), /inventory:write/);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`)).json();
    for (const path of ['/v1/inventory/{sku}', '/v1/inventory/{sku}/adjustments', '/v1/inventory/{sku}/movements']) assert.ok(doc.paths[path], path);
    assert.ok(doc.paths['/v1/inventory/{sku}'].put.requestBody);
    assert.ok(doc.components.schemas.StockView.properties.channels);
  });
});
