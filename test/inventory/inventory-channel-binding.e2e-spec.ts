import '../support/test-env';
import { InventoryService } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * CONTRACT "API keys": a key bound to channels only touches those channels' resources. For stock
 * that means a SKU listed on one of its channels (the sync row the catalog's publisher creates);
 * any other SKU answers exactly like one that does not exist, so the key cannot probe for it.
 */
describe('inventory for channel-bound keys: only SKUs on their channels, others look unknown', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let ds: DataSource;
  let inv: InventoryService;
  let storefront: string;
  let marketplaces: string;
  let admin: string;

  before(async () => {
    db = await createTestDatabase('invbinding');
    api = await startApi();
    ds = api.app.get(DataSource);
    inv = api.app.get(InventoryService, { strict: false });
    const scopes = ['inventory:read', 'inventory:write'] as const;
    storefront = await createTestKey(api.app, { scopes: [...scopes], channels: ['storefront'] });
    marketplaces = await createTestKey(api.app, { scopes: [...scopes], channels: ['nykaa', 'amazon'] });
    admin = await createTestKey(api.app, { scopes: [...scopes] });
    await ds.transaction(async (m) => {
      await inv.ensureItem(m, 'CB-AMZ', 10);
      await inv.ensureItem(m, 'CB-BOTH', 10);
      await inv.ensureItem(m, 'CB-DELISTED', 10);
    });
    // What the catalog's publisher does when it lists a product on a channel.
    await inv.quantityToPublish('CB-AMZ', 'amazon');
    await inv.quantityToPublish('CB-BOTH', 'amazon');
    await inv.quantityToPublish('CB-BOTH', 'storefront');
    await inv.quantityToPublish('CB-DELISTED', 'storefront');
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { ...bearer(key), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  /** Status, content type and body, with what legitimately differs (request id, the SKU asked for) masked. */
  const answer = async (res: Response, sku: string) => {
    const text = await res.text();
    const body = JSON.parse(text.split(sku).join('<sku>'));
    assert.equal(body.requestId, res.headers.get('x-request-id'));
    delete body.requestId;
    return { status: res.status, type: res.headers.get('content-type'), body };
  };
  const ledger = async (sku: string) => (await ds.query(`SELECT count(*)::int AS n FROM inventory_movements WHERE sku = $1`, [sku]))[0].n;
  const level = async (sku: string) => {
    const l = (await inv.getLevel(sku))!;
    return [l.onHand, l.reserved];
  };

  /** Every route, with a valid request each time (fresh Idempotency-Keys per call). */
  let n = 0;
  const routes = (sku: string): [string, string, unknown?, Record<string, string>?][] => [
    ['GET', `/v1/inventory/${sku}`],
    ['GET', `/v1/inventory/${sku}/movements`],
    ['PUT', `/v1/inventory/${sku}`, { onHand: 3 }],
    ['POST', `/v1/inventory/${sku}/adjustments`, { delta: -2, reason: 'probe' }, { 'idempotency-key': `probe-${++n}` }],
  ];

  it('a SKU on none of the key\'s channels answers every route exactly like a missing SKU, and changes nothing', async () => {
    const before = [await level('CB-AMZ'), await ledger('CB-AMZ')];
    for (const [i, [method, path, body, headers]] of routes('CB-AMZ').entries()) {
      const [, missingPath, missingBody, missingHeaders] = routes('CB-MISSING')[i];
      const hidden = await answer(await call(method, path, storefront, body, headers), 'CB-AMZ');
      const missing = await answer(await call(method, missingPath, storefront, missingBody, missingHeaders), 'CB-MISSING');
      assert.equal(hidden.status, 404, `${method} ${path}: ${JSON.stringify(hidden.body)}`);
      assert.ok(hidden.body.type.endsWith('/not-found'));
      assert.deepEqual(hidden, missing, `${method} ${path} must not reveal that the SKU exists`);
    }
    assert.deepEqual([await level('CB-AMZ'), await ledger('CB-AMZ')], before, 'a storefront key cannot set or adjust an Amazon-only SKU');
    const [{ n: records }] = await ds.query(`SELECT count(*)::int AS n FROM idempotency_records WHERE scope = 'inventory.adjust:CB-AMZ'`);
    assert.equal(records, 0, 'the refused adjustment left no idempotency record');
  });

  it('the order of checks does not tell them apart either (bad body, missing Idempotency-Key)', async () => {
    const probes: [string, string, unknown, Record<string, string>][] = [
      ['PUT', '', { onHand: -1 }, {}],
      ['POST', '/adjustments', { delta: 1, reason: 'x' }, {}],
      ['POST', '/adjustments', { delta: 0, reason: 'x' }, { 'idempotency-key': 'order-1' }],
      ['GET', '/movements?limit=0', undefined, {}],
    ];
    for (const [method, suffix, body, headers] of probes) {
      const hidden = await answer(await call(method, `/v1/inventory/CB-AMZ${suffix}`, storefront, body, headers), 'CB-AMZ');
      const missing = await answer(await call(method, `/v1/inventory/CB-MISSING${suffix}`, storefront, body, headers), 'CB-MISSING');
      assert.deepEqual(hidden, missing, `${method} ${suffix}`);
    }
  });

  it('a SKU on one of the key\'s channels is readable and writable, showing only those channels', async () => {
    const got: any = await (await call('GET', '/v1/inventory/CB-BOTH', storefront)).json();
    assert.equal(got.onHand, 10);
    assert.deepEqual(got.channels.map((c: any) => c.channel), ['storefront']);
    assert.equal((await call('PUT', '/v1/inventory/CB-BOTH', storefront, { onHand: 12 })).status, 200);
    const adj = await call('POST', '/v1/inventory/CB-BOTH/adjustments', storefront, { delta: 3, reason: 'delivery' }, { 'idempotency-key': 'both-1' });
    assert.equal(adj.status, 201);
    assert.equal(((await adj.json()) as any).onHand, 15);
    const mv: any = await (await call('GET', '/v1/inventory/CB-BOTH/movements?limit=1', storefront)).json();
    assert.equal(mv.data[0].kind, 'adjustment');
    // A key bound to several channels reaches a SKU on any one of them.
    const amz = await call('GET', '/v1/inventory/CB-AMZ', marketplaces);
    assert.equal(amz.status, 200);
    assert.deepEqual(((await amz.json()) as any).channels.map((c: any) => c.channel), ['amazon']);
    assert.equal((await call('POST', '/v1/inventory/CB-AMZ/adjustments', marketplaces, { delta: 1, reason: 'found one' }, { 'idempotency-key': 'amz-1' })).status, 201);
  });

  it('a SKU delisted from the key\'s channel is out of its reach again', async () => {
    assert.equal((await call('GET', '/v1/inventory/CB-DELISTED', storefront)).status, 200);
    await inv.untrackChannel('CB-DELISTED', 'storefront');
    for (const [method, path, body, headers] of routes('CB-DELISTED')) {
      assert.equal((await call(method, path, storefront, body, headers)).status, 404, `${method} ${path}`);
    }
    assert.deepEqual(await level('CB-DELISTED'), [10, 0]);
  });

  it('an unbound key keeps full access, whatever channels a SKU is on', async () => {
    for (const sku of ['CB-AMZ', 'CB-DELISTED']) {
      for (const [method, path, body, headers] of routes(sku)) {
        const res = await call(method, path, admin, body, headers);
        assert.ok(res.status === 200 || res.status === 201, `${method} ${path}: ${res.status}`);
      }
    }
    const got: any = await (await call('GET', '/v1/inventory/CB-BOTH', admin)).json();
    assert.deepEqual(got.channels.map((c: any) => c.channel), ['amazon', 'storefront']);
  });
});
