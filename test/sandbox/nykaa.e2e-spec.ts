import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RunningSandbox, startSandbox } from './sandbox-harness';

const KEY = { 'x-nykaa-api-key': process.env.NYKAA_API_KEY! };
const SELLER = process.env.NYKAA_SELLER_ID!;
const listing = (over: Record<string, unknown> = {}) => ({
  title: 'NovaSkin Hydrating Gel 50ml',
  description: 'Fake sample product',
  category: 'skincare/moisturisers',
  price: { amount: '899.00', currency: 'INR' },
  imageUrl: 'https://img.example.test/c_fill,w_800,h_800/gel.jpg',
  quantity: 25,
  ...over,
});

describe('nykaa sandbox: our REST contract (docs/nykaa-api.md)', () => {
  let sb: RunningSandbox;
  const path = (kind: string, sku = 'NS-GEL-50') => `/nykaa/v1/sellers/${SELLER}/${kind}/${sku}`;

  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb?.close());
  beforeEach(async () => {
    await sb.call('POST', '/_sandbox/reset');
  });

  it('verifies the API key', async () => {
    const ok = await sb.call('GET', '/nykaa/v1/auth/verify', undefined, KEY);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { sellerId: SELLER, status: 'ACTIVE' });
    const bad = await sb.call('GET', '/nykaa/v1/auth/verify', undefined, { 'x-nykaa-api-key': 'nope' });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.code, 'UNAUTHORIZED');
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify')).status, 401);
  });

  it('publishes, reads, updates inventory of and delists a listing; state follows', async () => {
    const put = await sb.call('PUT', path('listings'), listing(), KEY);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.sku, 'NS-GEL-50');
    assert.equal(put.body.status, 'ACTIVE');
    assert.match(put.body.listingId, /^NYK-L-/);

    const inv = await sb.call('PUT', path('inventory'), { quantity: 3 }, KEY);
    assert.equal(inv.status, 200);
    assert.equal(inv.body.quantity, 3);
    assert.ok(!Number.isNaN(Date.parse(inv.body.updatedAt)));
    assert.deepEqual((await sb.call('GET', path('inventory'), undefined, KEY)).body, { sku: 'NS-GEL-50', quantity: 3 });

    const get = await sb.call('GET', path('listings'), undefined, KEY);
    assert.equal(get.body.quantity, 3);
    assert.equal(get.body.listingId, put.body.listingId);
    assert.deepEqual(get.body.price, { amount: '899.00', currency: 'INR' });

    const st = (await sb.state()).nykaa.listings['NS-GEL-50'];
    assert.equal(st.quantity, 3);
    assert.equal(st.imageUrl, 'https://img.example.test/c_fill,w_800,h_800/gel.jpg');
    assert.equal(st.title, 'NovaSkin Hydrating Gel 50ml');
    assert.equal(st.status, 'ACTIVE');

    const del = await sb.call('DELETE', path('listings'), undefined, KEY);
    assert.deepEqual(del.body, { sku: 'NS-GEL-50', status: 'DELISTED' });
    assert.equal((await sb.state()).nykaa.listings['NS-GEL-50'].status, 'DELISTED');
    // Publishing again re-activates the same listing id.
    const again = await sb.call('PUT', path('listings'), listing(), KEY);
    assert.equal(again.body.listingId, put.body.listingId);
    assert.equal(again.body.status, 'ACTIVE');
  });

  it('answers bad input with 400 VALIDATION_ERROR naming the field, unknown SKUs with 404', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [listing({ title: '' }), 'title'],
      [listing({ price: { amount: 899, currency: 'INR' } }), 'price.amount'],
      [listing({ price: { amount: '899.00', currency: 'USD' } }), 'price.currency'],
      [listing({ imageUrl: 'ftp://x/y.jpg' }), 'imageUrl'],
      [listing({ quantity: -1 }), 'quantity'],
      [listing({ quantity: 1.5 }), 'quantity'],
    ];
    for (const [body, field] of cases) {
      const r = await sb.call('PUT', path('listings'), body, KEY);
      assert.equal(r.status, 400, field);
      assert.equal(r.body.error.code, 'VALIDATION_ERROR');
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, new RegExp(field.replace('.', '\\.')));
    }
    const malformed = await sb.call('PUT', path('listings'), '{"title":', { ...KEY, 'content-type': 'application/json' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'VALIDATION_ERROR');
    const missing = await sb.call('PUT', path('inventory', 'NS-NOPE'), { quantity: 1 }, KEY);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    const badSku = await sb.call('GET', path('listings', 'bad%20sku'), undefined, KEY);
    assert.equal(badSku.status, 400);
    assert.equal(badSku.body.error.field, 'sku');
    const otherSeller = await sb.call('GET', '/nykaa/v1/sellers/NYK-OTHER/listings/NS-GEL-50', undefined, KEY);
    assert.equal(otherSeller.status, 401);
    assert.equal((await sb.state()).nykaa.listings['NS-GEL-50'], undefined);
  });

  it('sets many quantities in one bulk call: per-item results in order; a malformed body changes nothing', async () => {
    await sb.call('PUT', path('listings', 'NS-A'), listing(), KEY);
    await sb.call('PUT', path('listings', 'NS-B'), listing(), KEY);
    const bulk = `/nykaa/v1/sellers/${SELLER}/inventory`;
    const ok = await sb.call('PUT', bulk, { items: [{ sku: 'NS-B', quantity: 0 }, { sku: 'NS-NOPE', quantity: 2 }, { sku: 'NS-A', quantity: 7 }] }, KEY);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.results.map((r: any) => [r.sku, r.status, r.quantity ?? r.error.code]), [
      ['NS-B', 'UPDATED', 0],
      ['NS-NOPE', 'REJECTED', 'NOT_FOUND'],
      ['NS-A', 'UPDATED', 7],
    ]);
    const st = (await sb.state()).nykaa.listings;
    assert.deepEqual([st['NS-A'].quantity, st['NS-B'].quantity], [7, 0]);

    const cases: [unknown, string][] = [
      [{}, 'items'],
      [{ items: [] }, 'items'],
      [{ items: Array.from({ length: 101 }, (_, i) => ({ sku: `S-${i}`, quantity: 1 })) }, 'items'],
      [{ items: [{ sku: 'NS-A', quantity: 1 }, { sku: 'NS-B', quantity: -1 }] }, 'items.1.quantity'],
      [{ items: [{ sku: 'NS-A', quantity: 1 }, { sku: 'NS-A', quantity: 2 }] }, 'items.1.sku'],
      [{ items: [{ sku: 'bad sku', quantity: 1 }] }, 'items.0.sku'],
    ];
    for (const [body, field] of cases) {
      const r = await sb.call('PUT', bulk, body, KEY);
      assert.equal(r.status, 400, field);
      assert.equal(r.body.error.code, 'VALIDATION_ERROR');
      assert.equal(r.body.error.field, field);
    }
    const after = (await sb.state()).nykaa.listings;
    assert.deepEqual([after['NS-A'].quantity, after['NS-B'].quantity], [7, 0], 'refused bodies changed nothing');
    assert.equal((await sb.call('PUT', bulk, { items: [{ sku: 'NS-A', quantity: 1 }] }, { 'x-nykaa-api-key': 'nope' })).status, 401);
  });

  it('lists reviews added through the control endpoint, filtered by since', async () => {
    const r1 = await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-GEL-50', rating: 5, title: 'Love it', body: 'Soft skin', author: 'A.', createdAt: '2026-01-01T00:00:00Z' });
    assert.equal(r1.status, 201);
    await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-GEL-50', rating: 2, createdAt: '2026-02-01T00:00:00Z' });
    const all = await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/reviews`, undefined, KEY);
    assert.equal(all.body.reviews.length, 2);
    assert.deepEqual(Object.keys(all.body.reviews[0]).sort(), ['author', 'body', 'createdAt', 'id', 'rating', 'sku', 'title']);
    const since = await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/reviews?since=2026-01-15T00:00:00Z`, undefined, KEY);
    assert.deepEqual(since.body.reviews.map((r: any) => r.rating), [2]);
    const badSince = await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/reviews?since=yesterday`, undefined, KEY);
    assert.equal(badSince.status, 400);
    assert.equal(badSince.body.error.field, 'since');
    const badRating = await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-GEL-50', rating: 6 });
    assert.equal(badRating.status, 400);
    assert.equal(badRating.body.field, 'rating');
    assert.equal((await sb.state()).nykaa.reviews.length, 2);
  });

  it('a customer order placed on Nykaa lowers the listing quantity and is readable by the seller', async () => {
    await sb.call('PUT', path('listings'), listing({ quantity: 5 }), KEY);
    const placed = await sb.call('POST', '/_sandbox/nykaa/orders', { items: [{ sku: 'NS-GEL-50', quantity: 2 }], customer: { name: 'Test Buyer' } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.match(placed.body.orderId, /^NYK-O-/);
    assert.deepEqual(placed.body.items, [{ sku: 'NS-GEL-50', quantity: 2, price: { amount: '899.00', currency: 'INR' } }]);
    assert.deepEqual(placed.body.total, { amount: '1798.00', currency: 'INR' });
    assert.equal((await sb.call('GET', path('inventory'), undefined, KEY)).body.quantity, 3);

    const list = await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/orders`, undefined, KEY);
    assert.deepEqual(list.body.orders.map((o: any) => o.orderId), [placed.body.orderId]);
    const one = await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/orders/${placed.body.orderId}`, undefined, KEY);
    assert.equal(one.body.status, 'PLACED');
    const later = await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/orders?since=${encodeURIComponent(placed.body.createdAt)}`, undefined, KEY);
    assert.deepEqual(later.body.orders, []);
    assert.equal((await sb.call('GET', `/nykaa/v1/sellers/${SELLER}/orders/NYK-O-nope`, undefined, KEY)).status, 404);

    const tooMany = await sb.call('POST', '/_sandbox/nykaa/orders', { items: [{ sku: 'NS-GEL-50', quantity: 4 }] });
    assert.equal(tooMany.status, 409);
    const unknown = await sb.call('POST', '/_sandbox/nykaa/orders', { items: [{ sku: 'NS-NOPE', quantity: 1 }] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.field, 'items[0].sku');
    assert.equal((await sb.state()).nykaa.listings['NS-GEL-50'].quantity, 3);
  });

  it('honours reject-credentials, rate-limit (Retry-After) and server-error faults in its own error format', async () => {
    await sb.fault({ partner: 'nykaa', kind: 'reject-credentials' });
    const rejected = await sb.call('GET', '/nykaa/v1/auth/verify', undefined, KEY);
    assert.equal(rejected.status, 401);
    assert.equal(rejected.body.error.code, 'UNAUTHORIZED');
    await sb.call('DELETE', '/_sandbox/faults');
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, KEY)).status, 200);

    await sb.fault({ partner: 'nykaa', kind: 'rate-limit', retryAfterSeconds: 2, count: 1 });
    const limited = await sb.call('GET', '/nykaa/v1/auth/verify', undefined, KEY);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.equal(limited.body.error.code, 'RATE_LIMITED');

    await sb.fault({ partner: 'nykaa', kind: 'server-error', count: 1 });
    const down = await sb.call('GET', '/nykaa/v1/auth/verify', undefined, KEY);
    assert.equal(down.status, 500);
    assert.deepEqual(down.body, { error: { code: 'INTERNAL', message: 'Internal error' } });
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, KEY)).status, 200);
  });
});
