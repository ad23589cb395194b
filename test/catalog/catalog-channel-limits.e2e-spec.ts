import '../support/test-env';
import { getQueueToken } from '@nestjs/bullmq';
import { CATALOG_PUBLISH_QUEUE } from '@hub/catalog';
import type { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import type { RunningApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import type { RunningSandbox } from '../sandbox/sandbox-harness';
import { CatalogStack, startCatalogStack } from './support/catalog-stack';
import { sampleProduct as product } from './support/sample-product';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// U+1F600: one code point, two UTF-16 code units; Amazon and Nykaa count the units.
const emoji = (n: number) => '😀'.repeat(n);

/**
 * What the hub accepts, Amazon and Nykaa (the sandbox, which applies their rules) must accept too:
 * anything they would refuse is a 400 naming the field before a product exists, instead of a 201
 * followed by a `failed` listing. And a PATCH that changes nothing publishes nothing.
 */
describe('catalog: the hub refuses up front what a channel would refuse; a PATCH that changes nothing is a no-op', () => {
  let stack: CatalogStack;
  let sb: RunningSandbox;
  let api: RunningApi;
  let admin: Record<string, string>;
  let ds: DataSource;

  before(async () => {
    stack = await startCatalogStack('catalog-limits', { env: { HUB_CHANNELS: 'amazon,nykaa,storefront', CATALOG_PUBLISH_BACKOFF_MS: '200', CATALOG_PUBLISH_ATTEMPTS: '3' } });
    ({ sb, api, admin, ds } = stack);
  });
  after(async () => {
    await stack?.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, { method, headers: admin, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json().catch(() => null)) as any };
  };
  const assertRefused = (res: Awaited<ReturnType<typeof call>>, field: string, what: string) => {
    assert.equal(res.status, 400, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.match(res.contentType, /application\/problem\+json/);
    assert.ok(res.body.type.endsWith('/validation-failed'), res.body.type);
    assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), [field], `${what}: ${JSON.stringify(res.body.errors)}`);
  };
  const waitForStatuses = (sku: string, want: Record<string, string>, timeoutMs = 10_000) =>
    waitUntil(async () => {
      const chans: any[] = (await call('GET', `/v1/products/${sku}/channels`)).body.channels;
      return Object.entries(want).every(([c, s]) => chans.find((x) => x.channel === c)?.status === s) ? chans : undefined;
    }, timeoutMs, 50).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify((await call('GET', `/v1/products/${sku}/channels`)).body)}`);
    });

  it('a blank name or category, a name of 200 emoji and a price of 10^9 or more are 400s naming the field; nothing is created', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '   ' }, 'name'],
      [{ name: '\t\n' }, 'name'],
      [{ category: '  ' }, 'category'],
      [{ name: emoji(200) }, 'name'],
      [{ name: emoji(100) + '!' }, 'name'],
      [{ category: emoji(51) }, 'category'],
      [{ description: emoji(2501) }, 'description'],
      [{ price: 9999999999.99 }, 'price'],
      [{ price: '1000000000' }, 'price'],
    ];
    for (const [patch, field] of cases) assertRefused(await call('POST', '/v1/products', product('NS-LIM-BAD', patch)), field, `POST ${JSON.stringify(patch).slice(0, 60)}`);
    assert.equal((await call('GET', '/v1/products/NS-LIM-BAD')).status, 404);
    assert.equal((await ds.query(`SELECT count(*)::int AS n FROM inventory_items WHERE sku = 'NS-LIM-BAD'`))[0].n, 0);
  });

  it('the same values in a PATCH are 400s naming the field, and the product keeps its version', async () => {
    assert.equal((await call('POST', '/v1/products', product('NS-LIM-PATCH'))).status, 201);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '   ' }, 'name'],
      [{ category: ' \u00a0 ' }, 'category'],
      [{ name: emoji(200) }, 'name'],
      [{ category: emoji(51) }, 'category'],
      [{ description: emoji(2501) }, 'description'],
      [{ price: '9999999999.99' }, 'price'],
    ];
    for (const [patch, field] of cases) assertRefused(await call('PATCH', '/v1/products/NS-LIM-PATCH', patch), field, `PATCH ${JSON.stringify(patch).slice(0, 60)}`);
    const now = await call('GET', '/v1/products/NS-LIM-PATCH');
    assert.equal(now.body.version, 1);
    assert.equal(now.body.name, 'NovaSkin Test NS-LIM-PATCH');
  });

  it('a product at every limit (200 UTF-16 units of name, 100 of category, 5000 of description, price 999999999.99) is published on Amazon and Nykaa', async () => {
    const sku = 'NS-LIM-EDGE';
    const body = product(sku, { name: emoji(100), category: emoji(50), description: emoji(2500), price: '999999999.99' });
    const created = await call('POST', '/v1/products', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitForStatuses(sku, { amazon: 'published', nykaa: 'published', storefront: 'published' });
    const state = await sb.state();
    assert.equal(state.amazon.listings[sku].title, emoji(100));
    assert.equal(state.nykaa.listings[sku].title, emoji(100));
    assert.equal(state.nykaa.listings[sku].price.amount, '999999999.99');
  });

  it('name and category are trimmed before they are stored and sent', async () => {
    const sku = 'NS-LIM-TRIM';
    const created = await call('POST', '/v1/products', product(sku, { name: '  Trimmed Serum \n', category: '\tserum  ', channels: ['nykaa'] }));
    assert.equal(created.status, 201);
    assert.equal(created.body.name, 'Trimmed Serum');
    assert.equal(created.body.category, 'serum');
    await waitForStatuses(sku, { nykaa: 'published' });
    assert.equal((await sb.state()).nykaa.listings[sku].title, 'Trimmed Serum');
  });

  it('PATCH {} or a PATCH of the stored values answers 200 with the product unchanged: no new version, no job, no partner call', async () => {
    const sku = 'NS-LIM-NOOP';
    const sent = product(sku, { price: '1299.5' });
    const created = await call('POST', '/v1/products', sent);
    assert.equal(created.status, 201);
    await waitForStatuses(sku, { amazon: 'published', nykaa: 'published', storefront: 'published' });
    const partnerCalls = async () => {
      const s = await sb.state();
      return { amazon: (s.amazon.requestLog as any[]).filter((e) => e.sku === sku).length, nykaa: s.nykaa.requests };
    };
    const callsBefore = await partnerCalls();

    const publish = api.app.get<Queue>(getQueueToken(CATALOG_PUBLISH_QUEUE));
    const enqueued: unknown[] = [];
    const addBulk = publish.addBulk.bind(publish);
    Object.assign(publish, { addBulk: (jobs: Parameters<Queue['addBulk']>[0]) => (enqueued.push(...jobs), addBulk(jobs)) });
    try {
      const same = [
        {},
        { name: sent.name },
        // Equal once stored: a number for the decimal string, the name with spaces the hub trims, the same channels in another order.
        { price: 1299.5, currency: 'INR', name: ` ${sent.name} ` },
        { images: sent.images, category: sent.category, description: sent.description, channels: ['storefront', 'nykaa', 'amazon'] },
      ];
      for (const body of same) {
        const res = await call('PATCH', `/v1/products/${sku}`, body);
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.deepEqual(res.body, created.body, `${JSON.stringify(body)} changed nothing, so the answer is the product as it was`);
      }
      assert.deepEqual(enqueued, [], 'no publish job for a PATCH that changes nothing');
      await sleep(500);
      assert.deepEqual(await partnerCalls(), callsBefore, 'no partner call either');
      assert.equal((await call('GET', `/v1/products/${sku}`)).body.version, 1);
      const audited = await ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE subject_type = 'product' AND subject_id = $1 AND action = 'product.updated'`, [sku]);
      assert.equal(audited[0].n, 0, 'nothing changed, nothing to audit');

      // A real change still bumps the version and republishes everywhere.
      const changed = await call('PATCH', `/v1/products/${sku}`, { name: sent.name, price: 1399 });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.version, 2);
      assert.equal(changed.body.price, '1399.00');
      assert.equal(enqueued.length, 3);
    } finally {
      delete (publish as Partial<Queue>).addBulk;
    }
    await waitUntil(async () => (await sb.state()).nykaa.listings[sku]?.price.amount === '1399.00', 10_000, 50);
  });

  it('a PATCH of the stored values still republishes a listing that gave up (failed), the way to retry it after an outage', async () => {
    const sku = 'NS-LIM-RETRY';
    const sent = product(sku);
    assert.equal((await call('POST', '/v1/products', sent)).status, 201);
    await waitForStatuses(sku, { amazon: 'published', nykaa: 'published', storefront: 'published' });
    // As the publish job leaves a listing whose retries ran out (a partner outage).
    await ds.query(`UPDATE product_channels SET status = 'failed', last_error = 'HTTP 503 after 8 attempts' WHERE sku = $1 AND channel = 'nykaa'`, [sku]);
    const res = await call('PATCH', `/v1/products/${sku}`, {});
    assert.equal(res.status, 200);
    assert.equal(res.body.version, 2, 'a new version, published everywhere');
    await waitForStatuses(sku, { amazon: 'published', nykaa: 'published', storefront: 'published' });
  });
});
