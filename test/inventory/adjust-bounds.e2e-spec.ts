import '../support/test-env';
import { InventoryService, MAX_QUANTITY } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('inventory adjustments: a refusal names the bound the delta would cross', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let inv: InventoryService;
  let writer: string;
  let n = 0;

  before(async () => {
    db = await createTestDatabase('invbounds');
    api = await startApi();
    const ds = api.app.get(DataSource);
    inv = api.app.get(InventoryService, { strict: false });
    writer = await createTestKey(api.app, { scopes: ['inventory:read', 'inventory:write'] });
    await ds.transaction((m) => inv.ensureItem(m, 'BOUND-1', 10));
    await ds.transaction((m) => inv.reserve(m, { orderId: 'b1', channel: 'storefront', lines: [{ lineId: '1', sku: 'BOUND-1', quantity: 4 }] }));
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  const adjust = async (delta: number) => {
    const res = await fetch(`${api.url}/v1/inventory/BOUND-1/adjustments`, {
      method: 'POST',
      headers: { ...bearer(writer), 'content-type': 'application/json', 'idempotency-key': `bound-${++n}` },
      body: JSON.stringify({ delta, reason: 'bounds test' }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const level = async () => {
    const l = (await inv.getLevel('BOUND-1'))!;
    return [l.onHand, l.reserved];
  };

  it('a delta that would take on-hand above the maximum is a 422 invalid-adjustment about the maximum, not about reserved units', async () => {
    const { status, body } = await adjust(MAX_QUANTITY);
    assert.equal(status, 422);
    assert.ok(body.type.endsWith('/invalid-adjustment'), body.type);
    assert.match(body.detail, new RegExp(`above the maximum of ${MAX_QUANTITY}`));
    assert.doesNotMatch(body.detail, /reserved/);
    assert.deepEqual(body.errors, [{ field: 'delta', message: `must be at most ${MAX_QUANTITY - 10}` }]);
    assert.deepEqual(await level(), [10, 4]);
  });

  it('the largest delta it names is accepted', async () => {
    const { status, body } = await adjust(MAX_QUANTITY - 10);
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(await level(), [MAX_QUANTITY, 4]);
    const over = await adjust(1);
    assert.equal(over.status, 422);
    assert.deepEqual(over.body.errors, [{ field: 'delta', message: 'must be at most 0' }]);
    assert.equal((await adjust(-(MAX_QUANTITY - 10))).status, 201);
  });

  it('a delta that would go below the reserved units still says so', async () => {
    const { status, body } = await adjust(-7);
    assert.equal(status, 422);
    assert.ok(body.type.endsWith('/invalid-adjustment'), body.type);
    assert.match(body.detail, /below the 4 units reserved/);
    assert.deepEqual(body.errors, [{ field: 'delta', message: 'must be at least -6' }]);
    assert.deepEqual(await level(), [10, 4]);
  });
});
