import '../support/test-env';
import { getQueueToken } from '@nestjs/bullmq';
import { CATALOG_PUBLISH_QUEUE, CatalogService, PendingSweeper } from '@hub/catalog';
import { InventoryService } from '@hub/inventory';
import type { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../support/api-keys';
import type { RunningApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import type { RunningSandbox } from '../sandbox/sandbox-harness';
import { CatalogStack, startCatalogStack } from './support/catalog-stack';
import { sampleProduct as product } from './support/sample-product';

const PRESETS = { amazon: 'c_pad,w_2000,h_2000,b_white', nykaa: 'c_fill,w_800,h_800', storefront: 'c_thumb,w_400,h_400' };

describe('catalog: publish once, everywhere (api + worker + partner sandbox in-process)', () => {
  let stack: CatalogStack;
  let sb: RunningSandbox;
  let api: RunningApi;
  let admin: Record<string, string>;
  let ds: DataSource;

  before(async () => {
    stack = await startCatalogStack('catalog', { env: { HUB_CHANNELS: 'amazon,nykaa,storefront', CATALOG_PUBLISH_BACKOFF_MS: '200', CATALOG_PUBLISH_ATTEMPTS: '5' } });
    ({ sb, api, admin, ds } = stack);
  });
  after(async () => {
    await stack?.close();
  });

  const post = (path: string, body: unknown, headers = admin) => fetch(`${api.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const get = async (path: string, headers = admin) => {
    const res = await fetch(`${api.url}${path}`, { headers });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const channelsOf = async (sku: string) => (await get(`/v1/products/${sku}/channels`)).body.channels as any[];
  const waitForStatuses = (sku: string, want: Record<string, string>, timeoutMs: number) =>
    waitUntil(async () => {
      const chans = await channelsOf(sku);
      const ok = Object.entries(want).every(([c, s]) => chans.find((x) => x.channel === c)?.status === s);
      return ok ? chans : undefined;
    }, timeoutMs, 50);

  it('POST /v1/products publishes to all three channels within 5 s, each with its own image variant and the stock as quantity', async () => {
    await sb.call('POST', '/_sandbox/reset');
    const started = Date.now();
    const res = await post('/v1/products', product('NS-E2E-001', { price: '1299.5', stock: 17, images: ['https://images.novaskin.example/a.jpg', 'https://images.novaskin.example/b.jpg'] }));
    assert.equal(res.status, 201);
    const created: any = await res.json();
    assert.equal(created.price, '1299.50');
    assert.deepEqual(created.channels, ['amazon', 'nykaa', 'storefront']);

    const chans = await waitForStatuses('NS-E2E-001', { amazon: 'published', nykaa: 'published', storefront: 'published' }, 5000);
    const elapsed = Date.now() - started;
    console.log(`# published to 3 channels in ${elapsed} ms`);
    assert.ok(elapsed <= 5000);

    const state = await sb.state();
    const amazon = state.amazon.listings['NS-E2E-001'];
    const nykaa = state.nykaa.listings['NS-E2E-001'];
    assert.equal(amazon.quantity, 17);
    assert.equal(nykaa.quantity, 17);
    assert.ok(amazon.imageUrl.includes(`/${PRESETS.amazon}/`), amazon.imageUrl);
    assert.ok(nykaa.imageUrl.includes(`/${PRESETS.nykaa}/`), nykaa.imageUrl);
    assert.equal(amazon.price, 1299.5);
    assert.equal(nykaa.price.amount, '1299.50');
    const byChannel = Object.fromEntries(chans.map((c) => [c.channel, c]));
    assert.equal(byChannel.amazon.imageUrl, amazon.imageUrl);
    assert.equal(byChannel.nykaa.imageUrl, nykaa.imageUrl);
    assert.ok(byChannel.storefront.imageUrl.includes(`/${PRESETS.storefront}/`));
    for (const c of chans) {
      assert.equal(c.lastError, null);
      assert.ok(c.externalId);
      assert.ok(Date.parse(c.lastSyncedAt) >= started - 1000);
    }
    const [sf] = await ds.query(`SELECT quantity, visible, image_url FROM storefront_listings WHERE sku = 'NS-E2E-001'`);
    assert.deepEqual(sf, { quantity: 17, visible: true, image_url: byChannel.storefront.imageUrl });

    // Two images, three channels: exactly two uploads, each with the three eager transforms.
    const uploads = Object.values(state.cloudinary.uploads) as any[];
    assert.equal(uploads.length, 2);
    for (const u of uploads) assert.deepEqual(u.eager.map((e: any) => e.transformation), [PRESETS.amazon, PRESETS.nykaa, PRESETS.storefront]);
    assert.equal(state.cloudinary.uploadCount, 2);
  });

  it('republishing after a PATCH reuses the uploaded images and pushes the new price', async () => {
    const res = await fetch(`${api.url}/v1/products/NS-E2E-001`, { method: 'PATCH', headers: admin, body: JSON.stringify({ price: 1499 }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).version, 2);
    await waitUntil(async () => (await sb.state()).amazon.listings['NS-E2E-001']?.price === 1499 && (await sb.state()).nykaa.listings['NS-E2E-001']?.price.amount === '1499.00', 5000);
    await waitForStatuses('NS-E2E-001', { amazon: 'published', nykaa: 'published', storefront: 'published' }, 5000);
    assert.equal((await sb.state()).cloudinary.uploadCount, 2);
  });

  it('a 429 storm on Amazon still ends published, and no request goes out before Retry-After', async () => {
    await sb.fault({ partner: 'amazon', kind: 'rate-limit', retryAfterSeconds: 1, count: 3, match: '/listings/' });
    const started = Date.now();
    assert.equal((await post('/v1/products', product('NS-E2E-429', { channels: ['amazon'] }))).status, 201);
    await waitForStatuses('NS-E2E-429', { amazon: 'published' }, 15_000);
    console.log(`# published through 3 consecutive 429s in ${Date.now() - started} ms`);
    const log = ((await sb.state()).amazon.requestLog as any[]).filter((e) => e.sku === 'NS-E2E-429');
    assert.deepEqual(log.map((e) => e.status), [429, 429, 429, 200]);
    for (let i = 1; i < log.length; i++) {
      const gap = Date.parse(log[i].at) - Date.parse(log[i - 1].at);
      assert.ok(gap >= 990, `request ${i} went out ${gap} ms after a 429 asking for 1 s`);
    }
    assert.equal((await sb.state()).amazon.listings['NS-E2E-429'].quantity, 25);
  });

  it('a key bound to storefront sees only products published there; delete hides and delists everywhere', async () => {
    const sfKey = bearer(await createTestKey(api.app, { scopes: ['catalog:read'], channels: ['storefront'] }));
    assert.equal((await get('/v1/products/NS-E2E-429', sfKey)).status, 404);
    assert.equal((await get('/v1/products/NS-E2E-001', sfKey)).status, 200);
    const page = await get('/v1/products?limit=100', sfKey);
    assert.deepEqual(page.body.data.map((p: any) => p.sku), ['NS-E2E-001']);
    const chans = (await get('/v1/products/NS-E2E-001/channels', sfKey)).body.channels;
    assert.deepEqual(chans.map((c: any) => c.channel), ['storefront']);

    const del = await fetch(`${api.url}/v1/products/NS-E2E-001`, { method: 'DELETE', headers: { authorization: admin.authorization } });
    assert.equal(del.status, 204);
    assert.equal((await get('/v1/products/NS-E2E-001', sfKey)).status, 404);
    assert.equal((await get('/v1/products/NS-E2E-001')).status, 404);
    await waitUntil(async () => {
      const s = await sb.state();
      const [row] = await ds.query(`SELECT visible FROM storefront_listings WHERE sku = 'NS-E2E-001'`);
      return s.amazon.listings['NS-E2E-001']?.status === 'DELETED' && s.nykaa.listings['NS-E2E-001']?.status === 'DELISTED' && row?.visible === false;
    }, 5000).catch(async (e) => {
      throw new Error(`${e.message}: ${JSON.stringify({ amazon: (await sb.state()).amazon.listings['NS-E2E-001'], nykaa: (await sb.state()).nykaa.listings['NS-E2E-001'] })}`);
    });
    await waitUntil(async () => (await ds.query(`SELECT count(*)::int AS n FROM product_channels WHERE sku = 'NS-E2E-001'`))[0].n === 0, 5000);
  });

  it('paginates with an opaque cursor', async () => {
    for (const sku of ['NS-PAGE-A', 'NS-PAGE-B', 'NS-PAGE-C']) assert.equal((await post('/v1/products', product(sku, { channels: ['storefront'] }))).status, 201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(`/v1/products?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((p: any) => p.sku));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...seen].sort());
    for (const sku of ['NS-PAGE-A', 'NS-PAGE-B', 'NS-PAGE-C', 'NS-E2E-429']) assert.ok(seen.includes(sku), sku);
    assert.equal(new Set(seen).size, seen.length);
    const bad = await get('/v1/products?cursor=not-a-cursor');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, 'cursor');
    assert.equal((await get('/v1/products?limit=101')).body.errors[0].field, 'limit');
  });

  it('refuses bad input with 400 naming each field, a duplicate SKU with 409 and an unknown SKU with 404', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sku: 'ns-lower' }, 'sku'],
      [{ sku: 'NS' }, 'sku'],
      [{ sku: 'NS-BAD:1' }, 'sku'],
      [{ price: -1 }, 'price'],
      [{ price: '-5.00' }, 'price'],
      [{ price: 'abc' }, 'price'],
      [{ price: '10.999' }, 'price'],
      [{ price: true }, 'price'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ currency: 'inr' }, 'currency'],
      [{ images: Array.from({ length: 11 }, (_, i) => `https://img.example/${i}.jpg`) }, 'images'],
      [{ images: [] }, 'images'],
      [{ images: ['not a url'] }, 'images'],
      [{ images: ['ftp://img.example/a.jpg'] }, 'images'],
      [{ channels: ['amazon', 'flipkart'] }, 'channels'],
      [{ stock: -3 }, 'stock'],
      // Not counts, though Number() reads them as 0, 1 and 16.
      [{ stock: '' }, 'stock'],
      [{ stock: true }, 'stock'],
      [{ stock: '0x10' }, 'stock'],
      [{ name: '' }, 'name'],
    ];
    for (const [patch, field] of cases) {
      const res = await post('/v1/products', product('NS-BAD-001', patch));
      const body: any = await res.json();
      assert.equal(res.status, 400, `${JSON.stringify(patch)} -> ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(body.errors.some((e: any) => e.field === field), `${JSON.stringify(patch)} should name ${field}: ${JSON.stringify(body.errors)}`);
    }
    const many = await post('/v1/products', { sku: 'bad', price: -1, currency: 'XYZ', images: ['nope'], channels: ['x'] });
    const fields = new Set(((await many.json()) as any).errors.map((e: any) => e.field));
    for (const f of ['sku', 'price', 'currency', 'images', 'channels', 'name', 'stock', 'category', 'description']) assert.ok(fields.has(f), f);

    const dup = await post('/v1/products', product('NS-PAGE-A'));
    assert.equal(dup.status, 409);
    assert.match(((await dup.json()) as any).type, /\/duplicate-sku$/);
    // A SKU no product could have (lower case, too short) in the path is unknown too, not a bad field.
    for (const path of ['/v1/products/NS-NOPE-404', '/v1/products/NS-NOPE-404/channels', '/v1/products/NS-NOPE-404/reviews', '/v1/products/ns-serum', '/v1/products/NS/channels']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.match(r.body.type, /\/not-found$/);
    }
    const patch404 = await fetch(`${api.url}/v1/products/NS-NOPE-404`, { method: 'PATCH', headers: admin, body: JSON.stringify({ name: 'x' }) });
    assert.equal(patch404.status, 404);
    const patchStock = await fetch(`${api.url}/v1/products/NS-PAGE-A`, { method: 'PATCH', headers: admin, body: JSON.stringify({ stock: 3 }) });
    assert.equal(patchStock.status, 400);
    assert.equal(((await patchStock.json()) as any).errors[0].field, 'stock');
    // Nothing was created by the refused requests.
    assert.equal((await ds.query(`SELECT count(*)::int AS n FROM products WHERE sku = 'NS-BAD-001'`))[0].n, 0);
  });

  it('answers prices of many SKUs in one call for orders (exact strings, unknown SKUs absent)', async () => {
    const prices = await api.app.get(CatalogService).prices(['NS-PAGE-A', 'NS-E2E-429', 'NS-NOPE-404', 'NS-E2E-001']);
    assert.deepEqual([...prices.keys()].sort(), ['NS-E2E-429', 'NS-PAGE-A']);
    assert.deepEqual(prices.get('NS-PAGE-A'), { sku: 'NS-PAGE-A', price: '899.00', currency: 'INR' });
  });

  it('audits product created, updated and deleted with the acting key, the request id and the client address', async () => {
    const sku = 'NS-E2E-AUDIT';
    const created = await post('/v1/products', product(sku, { channels: ['storefront'] }));
    assert.equal(created.status, 201);
    const patched = await fetch(`${api.url}/v1/products/${sku}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ name: 'Audited' }) });
    assert.equal(patched.status, 200);
    const deleted = await fetch(`${api.url}/v1/products/${sku}`, { method: 'DELETE', headers: { authorization: admin.authorization } });
    assert.equal(deleted.status, 204);
    const keyId = admin.authorization.slice('Bearer nsk_live_'.length, 'Bearer nsk_live_'.length + 12);
    const rows = await ds.query(`SELECT action, actor_key_id, request_id, ip FROM audit_events WHERE subject_type = 'product' AND subject_id = $1 ORDER BY id`, [sku]);
    assert.deepEqual(rows, [
      { action: 'product.created', actor_key_id: keyId, request_id: created.headers.get('x-request-id'), ip: '127.0.0.1' },
      { action: 'product.updated', actor_key_id: keyId, request_id: patched.headers.get('x-request-id'), ip: '127.0.0.1' },
      { action: 'product.deleted', actor_key_id: keyId, request_id: deleted.headers.get('x-request-id'), ip: '127.0.0.1' },
    ]);
  });

  it('keeps stock in the inventory lib, in the same transaction as the product', async () => {
    const inv = await get('/v1/inventory/NS-PAGE-A');
    assert.equal(inv.status, 200);
    assert.equal(inv.body.onHand, 25);
  });

  it('re-creating a deleted SKU takes the new stock (the inventory row outlives the product), unless open orders hold more', async () => {
    const sku = 'NS-E2E-RESTOCK';
    assert.equal((await post('/v1/products', product(sku, { channels: ['storefront'], stock: 25 }))).status, 201);
    assert.equal((await fetch(`${api.url}/v1/products/${sku}`, { method: 'DELETE', headers: { authorization: admin.authorization } })).status, 204);
    const again = await post('/v1/products', product(sku, { channels: ['storefront'], stock: 7 }));
    assert.equal(again.status, 201);
    assert.equal((await get(`/v1/inventory/${sku}`)).body.onHand, 7);
    await waitForStatuses(sku, { storefront: 'published' }, 5000);
    const [sf] = await ds.query(`SELECT quantity FROM storefront_listings WHERE sku = $1`, [sku]);
    assert.equal(sf.quantity, 7);

    // Units reserved for an open order of the old product bound the new stock from below.
    await api.app.get(InventoryService).reserve(ds.manager, { orderId: 'ord-restock-1', channel: 'storefront', lines: [{ lineId: 'l1', sku, quantity: 5 }] });
    assert.equal((await fetch(`${api.url}/v1/products/${sku}`, { method: 'DELETE', headers: { authorization: admin.authorization } })).status, 204);
    const refused = await post('/v1/products', product(sku, { channels: ['storefront'], stock: 2 }));
    assert.equal(refused.status, 422);
    const body: any = await refused.json();
    assert.equal(body.errors[0].field, 'stock');
    assert.equal((await get(`/v1/products/${sku}`)).status, 404, 'the refused create left the product deleted');
    assert.equal((await post('/v1/products', product(sku, { channels: ['storefront'], stock: 5 }))).status, 201);
    assert.deepEqual([(await get(`/v1/inventory/${sku}`)).body.onHand, (await get(`/v1/inventory/${sku}`)).body.reserved], [5, 5]);
  });

  it('pulls reviews from Nykaa and the storefront and keeps the rating and count', async () => {
    await waitForStatuses('NS-E2E-429', { amazon: 'published' }, 1000);
    // NS-PAGE-A is on the storefront; add a Nykaa product for a Nykaa review.
    assert.equal((await post('/v1/products', product('NS-REV-001', { channels: ['nykaa', 'storefront'] }))).status, 201);
    await waitForStatuses('NS-REV-001', { nykaa: 'published', storefront: 'published' }, 5000);
    const seeded = await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-REV-001', rating: 5, title: 'Lovely', body: 'Fictional review', author: 'Test Buyer' });
    assert.ok(seeded.status < 300, JSON.stringify(seeded.body));
    const sfReview = await post('/v1/products/NS-REV-001/reviews', { rating: 2, title: 'Meh', author: 'Site Visitor' });
    assert.equal(sfReview.status, 201);
    const badReview = await post('/v1/products/NS-REV-001/reviews', { rating: 6 });
    assert.equal(badReview.status, 400);
    assert.equal(((await badReview.json()) as any).errors[0].field, 'rating');

    const reviews = await waitUntil(async () => {
      const r = await get('/v1/products/NS-REV-001/reviews');
      return r.body.rating.count === 2 ? r.body : undefined;
    }, 10_000);
    assert.equal(reviews.rating.average, '3.50');
    assert.deepEqual(reviews.reviews.map((r: any) => r.channel).sort(), ['nykaa', 'storefront']);
    assert.equal((await get('/v1/products/NS-REV-001')).body.rating.count, 2);
  });

  it('documents the catalog routes in OpenAPI with their scopes', async () => {
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`)).json();
    for (const [path, method] of [['/v1/products', 'post'], ['/v1/products', 'get'], ['/v1/products/{sku}', 'patch'], ['/v1/products/{sku}', 'delete'], ['/v1/products/{sku}/channels', 'get'], ['/v1/products/{sku}/reviews', 'get']]) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.deepEqual(op.tags, ['catalog']);
      assert.ok(op.summary);
    }
    const create = doc.components.schemas.CreateProductDto;
    assert.equal(create.properties.sku.pattern, '^[A-Z0-9][A-Z0-9._-]{2,63}$');
    assert.equal(create.properties.images.maxItems, 10);
    const noKey = await fetch(`${api.url}/v1/products`);
    assert.equal(noKey.status, 401);
    const readOnly = { ...bearer(await createTestKey(api.app, { scopes: ['catalog:read'] })), 'content-type': 'application/json' };
    const denied = await post('/v1/products', product('NS-SCOPE-001'), readOnly);
    assert.equal(denied.status, 403);
    assert.match(((await denied.json()) as any).type, /insufficient-scope$/);
  });

  it('a refused Cloudinary credential pauses the listings with the reason instead of failing them', async () => {
    await sb.fault({ partner: 'cloudinary', kind: 'reject-credentials', count: 1 });
    assert.equal((await post('/v1/products', product('NS-E2E-IMG', { channels: ['storefront'], images: ['https://images.novaskin.example/refused.jpg'] }))).status, 201);
    const [sf] = await waitForStatuses('NS-E2E-IMG', { storefront: 'paused' }, 5000);
    assert.match(sf.lastError, /cloudinary rejected credential version \d+/);
    assert.doesNotMatch(sf.lastError, /test-cloudinary-secret/);
    assert.equal(sf.imageUrl, null);
  });

  it('retries a 5xx with backoff until the listing is published, then clears lastError', async () => {
    await sb.fault({ partner: 'nykaa', kind: 'server-error', status: 503, count: 2, match: 'NS-E2E-5XX' });
    assert.equal((await post('/v1/products', product('NS-E2E-5XX', { channels: ['nykaa'] }))).status, 201);
    const [nykaa] = await waitForStatuses('NS-E2E-5XX', { nykaa: 'published' }, 10_000);
    assert.equal(nykaa.lastError, null);
    assert.equal((await sb.state()).nykaa.listings['NS-E2E-5XX'].quantity, 25);
    const queue = api.app.get<Queue>(getQueueToken(CATALOG_PUBLISH_QUEUE), { strict: false });
    // Two 503s, then the try that worked (BullMQ counts finished attempts, successful ones included).
    assert.equal((await queue.getJob('publish-nykaa-NS-E2E-5XX-1'))!.attemptsMade, 3);
  });

  it('PATCH removing a channel delists the product there and keeps it elsewhere', async () => {
    assert.equal((await post('/v1/products', product('NS-E2E-MOVE', { channels: ['nykaa', 'storefront'] }))).status, 201);
    await waitForStatuses('NS-E2E-MOVE', { nykaa: 'published', storefront: 'published' }, 5000);
    const res = await fetch(`${api.url}/v1/products/NS-E2E-MOVE`, { method: 'PATCH', headers: admin, body: JSON.stringify({ channels: ['storefront'], name: 'Renamed' }) });
    assert.equal(res.status, 200);
    await waitUntil(async () => (await sb.state()).nykaa.listings['NS-E2E-MOVE']?.status === 'DELISTED', 5000);
    await waitUntil(async () => {
      const chans = await channelsOf('NS-E2E-MOVE');
      return chans.length === 1 && chans[0].channel === 'storefront' && chans[0].status === 'published';
    }, 5000);
    const [sf] = await ds.query(`SELECT name, visible FROM storefront_listings WHERE sku = 'NS-E2E-MOVE'`);
    assert.deepEqual(sf, { name: 'Renamed', visible: true });
  });

  it('a PATCH while the previous version is still being published on Amazon ends with Amazon showing the latest name and price', async () => {
    const sku = 'NS-E2E-RACE';
    // The first Amazon request for this SKU (the v1 publish) is held for 1.5 s.
    await sb.fault({ partner: 'amazon', kind: 'latency', ms: 1500, count: 1, match: sku });
    assert.equal((await post('/v1/products', product(sku, { channels: ['amazon'] }))).status, 201);
    // Images are uploaded before the partner call: once the asset exists, the v1 PUT is on its way.
    await waitUntil(async () => (await ds.query(`SELECT 1 FROM media_assets WHERE sku = $1`, [sku])).length > 0, 5000);
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch(`${api.url}/v1/products/${sku}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ name: 'Race Renamed', price: 1999 }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).version, 2);
    const queue = api.app.get<Queue>(getQueueToken(CATALOG_PUBLISH_QUEUE), { strict: false });
    await waitUntil(async () => {
      const [pc] = await ds.query(`SELECT status, published_version FROM product_channels WHERE sku = $1 AND channel = 'amazon'`, [sku]);
      return pc?.status === 'published' && pc.published_version === 2 && (await (await queue.getJob(`publish-amazon-${sku}-1`))?.isCompleted());
    }, 10_000);
    const listing = (await sb.state()).amazon.listings[sku];
    assert.equal(listing.title, 'Race Renamed');
    assert.equal(listing.price, 1999);
  });

  it('a stock change while a republish is in flight on Amazon still ends with Amazon showing the latest quantity', async () => {
    const sku = 'NS-E2E-QRACE';
    assert.equal((await post('/v1/products', product(sku, { channels: ['amazon'] }))).status, 201);
    await waitForStatuses(sku, { amazon: 'published' }, 5000);
    assert.equal((await sb.state()).amazon.listings[sku].quantity, 25);
    // The next Amazon request for this SKU (the v2 listing PUT, carrying quantity 25) is held for 1.5 s...
    await sb.fault({ partner: 'amazon', kind: 'latency', ms: 1500, count: 1, match: sku });
    const res = await fetch(`${api.url}/v1/products/${sku}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ name: 'Quantity Race' }) });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 400));
    // ...while stock drops: the sync push of 20 lands first, then the held PUT overwrites it with 25.
    const adj = await fetch(`${api.url}/v1/inventory/${sku}/adjustments`, {
      method: 'POST',
      headers: { ...admin, 'idempotency-key': `qrace-${Date.now()}` },
      body: JSON.stringify({ delta: -5, reason: 'race' }),
    });
    assert.equal(adj.status, 201);
    await waitUntil(async () => {
      const l = (await sb.state()).amazon.listings[sku];
      return l.title === 'Quantity Race' && l.quantity === 20;
    }, 8000);
    // And it stays there (no later write of the older figure).
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await sb.state()).amazon.listings[sku].quantity, 20);
  });

  it('deleting a product and re-creating it while the Amazon delist is in flight ends listed and tracked for stock sync', async () => {
    const sku = 'NS-E2E-RECR';
    assert.equal((await post('/v1/products', product(sku, { channels: ['amazon'] }))).status, 201);
    await waitForStatuses(sku, { amazon: 'published' }, 5000);
    assert.equal((await ds.query(`SELECT count(*)::int AS n FROM inventory_channel_sync WHERE sku = $1 AND channel = 'amazon'`, [sku]))[0].n, 1);
    // The next Amazon request for this SKU (the delist) is held for 1.5 s.
    await sb.fault({ partner: 'amazon', kind: 'latency', ms: 1500, count: 1, match: sku });
    const del = await fetch(`${api.url}/v1/products/${sku}`, { method: 'DELETE', headers: { authorization: admin.authorization } });
    assert.equal(del.status, 204);
    const queue = api.app.get<Queue>(getQueueToken(CATALOG_PUBLISH_QUEUE), { strict: false });
    await waitUntil(async () => (await (await queue.getJob(`delist-amazon-${sku}-2`))?.getState()) === 'active', 5000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await post('/v1/products', product(sku, { channels: ['amazon'], name: 'Back Again' }))).status, 201);
    await waitUntil(async () => {
      const [pc] = await ds.query(`SELECT status, published_version FROM product_channels WHERE sku = $1 AND channel = 'amazon'`, [sku]);
      return pc?.status === 'published' && pc.published_version === 3 && (await (await queue.getJob(`delist-amazon-${sku}-2`))?.isCompleted());
    }, 10_000);
    const listing = (await sb.state()).amazon.listings[sku];
    assert.equal(listing.status, 'BUYABLE');
    assert.equal(listing.title, 'Back Again');
    assert.equal((await ds.query(`SELECT count(*)::int AS n FROM inventory_channel_sync WHERE sku = $1 AND channel = 'amazon'`, [sku]))[0].n, 1, 'stock still syncs to Amazon');
  });

  it('a storefront-bound writer publishes to the storefront only and may not name other channels', async () => {
    const sfWriter = { ...bearer(await createTestKey(api.app, { scopes: ['catalog:read', 'catalog:write'], channels: ['storefront'] })), 'content-type': 'application/json' };
    const created = await post('/v1/products', product('NS-E2E-SFW'), sfWriter);
    assert.equal(created.status, 201);
    assert.deepEqual(((await created.json()) as any).channels, ['storefront']);
    const refused = await post('/v1/products', product('NS-E2E-SFX', { channels: ['amazon'] }), sfWriter);
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as any).type, /channel-not-allowed$/);
    assert.equal((await get('/v1/products/NS-E2E-SFX')).status, 404);
    // A product also on Amazon: changing its price or name would republish the Amazon listing.
    assert.equal((await post('/v1/products', product('NS-E2E-SFY', { channels: ['storefront', 'amazon'] }))).status, 201);
    const patch = (body: unknown) => fetch(`${api.url}/v1/products/NS-E2E-SFY`, { method: 'PATCH', headers: sfWriter, body: JSON.stringify(body) });
    for (const body of [{ price: 1 }, { name: 'Renamed by the website' }, { price: 1, channels: ['storefront', 'amazon'] }]) {
      const res = await patch(body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.match(((await res.json()) as any).type, /channel-not-allowed$/);
    }
    assert.equal((await get('/v1/products/NS-E2E-SFY')).body.version, 1, 'nothing changed');
  });

  it('re-enqueues a listing left pending without a job (enqueue lost after commit)', async () => {
    // NS-PAGE-B was created for the storefront only; fake a lost nykaa job for it.
    await ds.query(
      `INSERT INTO product_channels (sku, channel, status, wanted_version, updated_at) VALUES ('NS-PAGE-B', 'nykaa', 'pending', 1, now() - interval '5 minutes')`,
    );
    assert.ok((await stack.worker.get(PendingSweeper, { strict: false }).sweep()) >= 1);
    await waitForStatuses('NS-PAGE-B', { nykaa: 'published' }, 5000);
    assert.equal((await sb.state()).nykaa.listings['NS-PAGE-B'].quantity, 25);
  });

  it('imports the 200+ product sample catalog through the API service and publishes 600+ listings', async () => {
    // Tests run from the repository root (tools/test.js), whatever the build output directory.
    const file = resolve(process.cwd(), 'fixtures/catalog/novaskin-catalog.json');
    const { products } = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(products.length >= 200);
    const started = Date.now();
    const report = await api.app.get(CatalogService).importMany(products);
    assert.equal(report.created, products.length);
    assert.equal(report.invalid.length, 0);
    const want = products.length * 3;
    await waitUntil(async () => {
      const [r] = await ds.query(
        `SELECT count(*) FILTER (WHERE status = 'published')::int AS ok, count(*) FILTER (WHERE status = 'failed')::int AS failed
           FROM product_channels WHERE sku = ANY($1::text[])`,
        [products.map((p: any) => p.sku)],
      );
      if (r.failed) throw new Error(`${r.failed} listings failed`);
      return r.ok === want;
    }, 150_000, 500);
    const secs = (Date.now() - started) / 1000;
    console.log(`# imported ${products.length} products and published ${want} listings in ${secs.toFixed(1)} s (${(want / secs).toFixed(1)} listings/s)`);
    const state = await sb.state();
    const sample = products[products.length - 1];
    assert.equal(state.amazon.listings[sample.sku].quantity, sample.stock);
    assert.equal(state.nykaa.listings[sample.sku].quantity, sample.stock);
    assert.ok(state.amazon.listings[sample.sku].imageUrl.includes(PRESETS.amazon));
  });

  it('a rejected Amazon credential pauses the listing with a clear lastError, and the job waits instead of hammering Amazon', async () => {
    await sb.fault({ partner: 'amazon', kind: 'reject-credentials' });
    assert.equal((await post('/v1/products', product('NS-E2E-403', { channels: ['amazon', 'storefront'] }))).status, 201);
    const chans = await waitForStatuses('NS-E2E-403', { amazon: 'paused', storefront: 'published' }, 10_000);
    const amazon = chans.find((c) => c.channel === 'amazon');
    assert.match(amazon.lastError, /amazon rejected credential version \d+/);
    assert.match(amazon.lastError, /invalid_client|Unauthorized/);
    assert.doesNotMatch(amazon.lastError, new RegExp(process.env.AMAZON_LWA_CLIENT_SECRET!));
    // Other libs (vault verification, inventory reconciliation) may talk to Amazon; this SKU's job must not.
    const forSku = async () => ((await sb.state()).amazon.requestLog as any[]).filter((e) => e.sku === 'NS-E2E-403');
    const before = await forSku();
    assert.ok(before.length <= 2, JSON.stringify(before));
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(await forSku(), before, 'no further listing requests for this SKU while the channel is paused');
    const queue = api.app.get<Queue>(getQueueToken(CATALOG_PUBLISH_QUEUE), { strict: false });
    const job = await queue.getJob('publish-amazon-NS-E2E-403-1');
    assert.equal(await job!.getState(), 'delayed', 'the job waits for a working credential');
    assert.equal(job!.attemptsMade, 0, 'waiting for a credential does not burn attempts');
  });

  it('while the vault holds Amazon paused, new Amazon listings wait as paused instead of failing', async () => {
    assert.equal((await post('/v1/products', product('NS-E2E-PAUSE', { channels: ['amazon'] }))).status, 201);
    const [amazon] = await waitForStatuses('NS-E2E-PAUSE', { amazon: 'paused' }, 5000);
    assert.match(amazon.lastError, /amazon is paused/);
    assert.equal((await sb.state()).amazon.listings['NS-E2E-PAUSE'], undefined);
  });
});
