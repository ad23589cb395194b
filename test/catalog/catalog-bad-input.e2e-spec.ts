import '../support/test-env';
import { getQueueToken } from '@nestjs/bullmq';
import { CATALOG_MAINTENANCE_QUEUE, CATALOG_PUBLISH_QUEUE } from '@hub/catalog';
import type { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer } from '../support/api-keys';
import type { RunningApi } from '../support/hub-harness';
import { CatalogApiStack, startCatalogStack } from './support/catalog-stack';
import { sampleProduct } from './support/sample-product';

const product = (sku: string) => sampleProduct(sku, { stock: 5 });

/** The catalog enqueue waits 2 s for Redis; a write must answer well within this. */
const ANSWER_WITHIN_MS = 4_000;

describe('catalog: bad input is a 400, and writes answer while Redis does not take jobs (api only, no worker)', () => {
  let stack: CatalogApiStack;
  let api: RunningApi;
  let auth: Record<string, string>;
  let ds: DataSource;

  before(async () => {
    stack = await startCatalogStack('catalog-bad-input', { partners: 'none', worker: false, env: { HUB_CHANNELS: 'amazon,nykaa,storefront' } });
    ({ api, ds } = stack);
    auth = bearer(stack.key);
  });
  after(async () => {
    await stack?.close();
  });

  // Aborted after a bound, so a hanging request fails the test instead of stalling it.
  const call = async (method: string, path: string, body?: unknown, timeoutMs = ANSWER_WITHIN_MS * 2) => {
    const started = Date.now();
    const init = body === undefined ? { headers: auth } : { headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(`${api.url}${path}`, { method, ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, ms: Date.now() - started, contentType: res.headers.get('content-type') ?? '', body: (await res.json().catch(() => null)) as any };
  };
  const assertBadField = (res: Awaited<ReturnType<typeof call>>, field: string) => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.contentType, /application\/problem\+json/);
    assert.ok(res.body.errors.some((e: { field: string }) => e.field === field), `errors should name ${field}: ${JSON.stringify(res.body.errors)}`);
  };

  it('PATCH {"price": null} is a 400 naming price and changes nothing; an absent price keeps it', async () => {
    assert.equal((await call('POST', '/v1/products', product('NS-BAD-PRICE'))).status, 201);
    assertBadField(await call('PATCH', '/v1/products/NS-BAD-PRICE', { price: null }), 'price');
    const kept = await call('PATCH', '/v1/products/NS-BAD-PRICE', { name: 'Renamed' });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.price, '899.00');
    assert.equal(kept.body.version, 2);
    // No field of a product can be unset: null is refused for each, naming it, and nothing changes.
    for (const field of ['name', 'currency', 'images', 'category', 'description', 'channels']) {
      assertBadField(await call('PATCH', '/v1/products/NS-BAD-PRICE', { [field]: null }), field);
    }
    const after = await call('GET', '/v1/products/NS-BAD-PRICE');
    assert.equal(after.body.version, 2);
  });

  it('a cursor that decodes to something other than a SKU (a NUL byte, lower case) is a 400 naming cursor; real cursors still page', async () => {
    const forged = (s: string) => Buffer.from(JSON.stringify({ s })).toString('base64url');
    for (const cursor of ['eyJzIjoiXHUwMDAwIn0', forged('NS-A\u0000'), forged('ns-lower'), forged('')]) {
      assertBadField(await call('GET', `/v1/products?cursor=${cursor}`), 'cursor');
    }
    assert.equal((await call('POST', '/v1/products', product('NS-BAD-PAGE'))).status, 201);
    const first = await call('GET', '/v1/products?limit=1');
    assert.equal(first.status, 200);
    assert.ok(first.body.nextCursor);
    const next = await call('GET', `/v1/products?limit=1&cursor=${first.body.nextCursor}`);
    assert.equal(next.status, 200);
    assert.ok(next.body.data[0].sku > first.body.data[0].sku);
  });

  it('create, update, delete and a storefront review answer their usual success when Redis never takes the jobs; the listings stay pending for the sweep', async () => {
    assert.equal((await call('POST', '/v1/products', product('NS-OUT-UPD'))).status, 201);
    assert.equal((await call('POST', '/v1/products', product('NS-OUT-DEL'))).status, 201);
    assert.equal((await call('POST', '/v1/products', product('NS-OUT-REV'))).status, 201);

    // As during a Redis outage: queue connections retry forever, so the call never settles.
    const publish = api.app.get<Queue>(getQueueToken(CATALOG_PUBLISH_QUEUE));
    const maintenance = api.app.get<Queue>(getQueueToken(CATALOG_MAINTENANCE_QUEUE));
    const never = () => new Promise<never>(() => {});
    Object.assign(publish, { addBulk: never });
    Object.assign(maintenance, { add: never });
    try {
      const [created, updated, deleted, reviewed] = await Promise.all([
        call('POST', '/v1/products', product('NS-OUT-NEW')),
        call('PATCH', '/v1/products/NS-OUT-UPD', { price: 999 }),
        call('DELETE', '/v1/products/NS-OUT-DEL'),
        call('POST', '/v1/products/NS-OUT-REV/reviews', { rating: 5 }),
      ]);
      assert.equal(created.status, 201);
      assert.equal(updated.status, 200);
      assert.equal(updated.body.price, '999.00');
      assert.equal(deleted.status, 204);
      assert.equal(reviewed.status, 201);
      for (const r of [created, updated, deleted, reviewed]) assert.ok(r.ms < ANSWER_WITHIN_MS, `answered after ${r.ms} ms`);
    } finally {
      delete (publish as Partial<Queue>).addBulk;
      delete (maintenance as Partial<Queue>).add;
    }

    // Committed, and left for the PendingSweeper: every listing of the changed products is pending at the new version.
    const rows: { sku: string; status: string; wanted_version: number; delisting: boolean }[] = await ds.query(
      `SELECT sku, status, wanted_version, delisting FROM product_channels WHERE sku IN ('NS-OUT-NEW', 'NS-OUT-UPD', 'NS-OUT-DEL') ORDER BY sku, channel`,
    );
    assert.equal(rows.length, 9);
    for (const r of rows) assert.equal(r.status, 'pending', JSON.stringify(r));
    assert.ok(rows.filter((r) => r.sku === 'NS-OUT-UPD').every((r) => r.wanted_version === 2));
    assert.ok(rows.filter((r) => r.sku === 'NS-OUT-DEL').every((r) => r.delisting));
    assert.equal((await call('GET', '/v1/products/NS-OUT-DEL')).status, 404);
  });
});
