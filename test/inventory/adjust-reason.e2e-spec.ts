import '../support/test-env';
import { InventoryService } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('inventory adjustments: the ledger needs a reason, and whitespace is not one', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let ds: DataSource;
  let inv: InventoryService;
  let writer: string;
  let n = 0;

  before(async () => {
    db = await createTestDatabase('invreason');
    api = await startApi();
    ds = api.app.get(DataSource);
    inv = api.app.get(InventoryService, { strict: false });
    writer = await createTestKey(api.app, { scopes: ['inventory:read', 'inventory:write'] });
    await ds.transaction((m) => inv.ensureItem(m, 'REASON-1', 10));
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  const adjust = async (reason: unknown) => {
    const res = await fetch(`${api.url}/v1/inventory/REASON-1/adjustments`, {
      method: 'POST',
      headers: { ...bearer(writer), 'content-type': 'application/json', 'idempotency-key': `reason-${++n}` },
      body: JSON.stringify({ delta: -1, reason }),
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as any };
  };
  const movements = async () => (await ds.query(`SELECT count(*)::int AS n FROM inventory_movements WHERE sku = 'REASON-1'`))[0].n as number;

  it('a blank reason ("", spaces, tabs and newlines, no-break spaces) is a 400 naming reason and changes nothing', async () => {
    const before = await movements();
    for (const reason of ['', '   ', '\t\n', '\u00a0\u3000']) {
      const res = await adjust(reason);
      assert.equal(res.status, 400, `${JSON.stringify(reason)} -> ${res.status}`);
      assert.match(res.contentType, /application\/problem\+json/);
      assert.ok(res.body.type.endsWith('/validation-failed'), res.body.type);
      assert.deepEqual(res.body.errors, [{ field: 'reason', message: 'must not be empty or only whitespace' }], JSON.stringify(reason));
    }
    assert.equal((await inv.getLevel('REASON-1'))!.onHand, 10);
    assert.equal(await movements(), before);
  });

  it('a reason with words in it is taken as sent, surrounding spaces included', async () => {
    const res = await adjust('  damaged in transit ');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.reason, '  damaged in transit ');
    assert.equal((await inv.getLevel('REASON-1'))!.onHand, 9);
  });
});
