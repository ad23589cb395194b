import { CredentialRejectedError, ListingRejectedError, loadConfig, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import nock from 'nock';
import { ChannelsConfig } from '../channels.config';
import { RecordingCredentials } from '../testing/recording-credentials';
import { NykaaAdapter } from './nykaa.adapter';

const BASE = 'http://partners.test';
const SELLER = '/nykaa/v1/sellers/NYK-UNIT';
const input = {
  sku: 'NS-CREAM-002',
  name: 'NovaSkin Test Cream',
  description: 'Fake product for tests',
  category: 'moisturiser',
  price: '1299.50',
  currency: 'INR',
  imageUrl: 'http://cdn.test/c_fill,w_800,h_800/cream.jpg',
  quantity: 11,
};

describe('NykaaAdapter (our Nykaa REST contract)', () => {
  let creds: RecordingCredentials;
  let adapter: NykaaAdapter;

  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  beforeEach(() => {
    creds = new RecordingCredentials({ nykaa: { apiKey: 'unit-nykaa-key', sellerId: 'NYK-UNIT' } });
    adapter = new NykaaAdapter(loadConfig(ChannelsConfig, { NYKAA_API_URL: `${BASE}/nykaa/`, PARTNER_TIMEOUT_MS: '2000' }), creds);
  });
  afterEach(() => nock.cleanAll());

  it('PUTs the listing with the API key header, a decimal-string price, image and quantity', async () => {
    let body: any;
    const scope = nock(BASE)
      .put(`${SELLER}/listings/NS-CREAM-002`, (b) => ((body = b), true))
      .matchHeader('x-nykaa-api-key', 'unit-nykaa-key')
      .reply(200, { sku: input.sku, listingId: 'NYL-123', status: 'ACTIVE' });
    assert.deepEqual(await adapter.publishListing(input), { externalId: 'NYL-123', status: 'published' });
    assert.ok(scope.isDone());
    assert.deepEqual(body, {
      title: input.name,
      description: input.description,
      category: input.category,
      price: { amount: '1299.50', currency: 'INR' },
      imageUrl: input.imageUrl,
      quantity: 11,
    });
    assert.deepEqual(creds.accepted, [{ partner: 'nykaa', version: 1 }]);
    // Each success is reported (the vault batches them), so lastUsedAt follows real use.
    nock(BASE).put(`${SELLER}/listings/NS-CREAM-002`).matchHeader('x-nykaa-api-key', 'unit-nykaa-key').reply(200, { sku: input.sku, listingId: 'NYL-123', status: 'ACTIVE' });
    await adapter.publishListing(input);
    assert.equal(creds.accepted.length, 2);
  });

  it('sets many quantities in one bulk call and reports each item on its own', async () => {
    let body: any;
    const scope = nock(BASE)
      .put(`${SELLER}/inventory`, (b) => ((body = b), true))
      .matchHeader('x-nykaa-api-key', 'unit-nykaa-key')
      .reply(200, {
        results: [
          { sku: 'A-1', status: 'UPDATED', quantity: 4, updatedAt: new Date().toISOString() },
          { sku: 'B-2', status: 'REJECTED', error: { code: 'NOT_FOUND', message: 'No listing for sku B-2' } },
        ],
      });
    const results = await adapter.updateQuantities([{ sku: 'A-1', quantity: 4 }, { sku: 'B-2', quantity: 7 }, { sku: 'C-3', quantity: 1 }]);
    assert.ok(scope.isDone());
    assert.deepEqual(body, { items: [{ sku: 'A-1', quantity: 4 }, { sku: 'B-2', quantity: 7 }, { sku: 'C-3', quantity: 1 }] });
    assert.deepEqual(results[0], { sku: 'A-1', confirmedQuantity: 4 });
    assert.ok('error' in results[1] && results[1].error instanceof ListingRejectedError && /NOT_FOUND/.test(results[1].error.message));
    // An item the response left out was not refused: worth retrying.
    assert.ok('error' in results[2] && results[2].error instanceof PartnerUnavailableError);

    nock(BASE).put(`${SELLER}/inventory`).reply(401, { error: { code: 'UNAUTHORIZED', message: 'bad key' } });
    await assert.rejects(adapter.updateQuantities([{ sku: 'A-1', quantity: 1 }]), CredentialRejectedError);
  });

  it('sets, reads and delists inventory and listings at the contract paths', async () => {
    let body: any;
    nock(BASE).put(`${SELLER}/inventory/NS-CREAM-002`, (b) => ((body = b), true)).matchHeader('x-nykaa-api-key', 'unit-nykaa-key')
      .reply(200, { sku: input.sku, quantity: 5, updatedAt: new Date().toISOString() });
    assert.deepEqual(await adapter.updateQuantity(input.sku, 5), { confirmedQuantity: 5 });
    assert.deepEqual(body, { quantity: 5 });

    nock(BASE).get(`${SELLER}/inventory/NS-CREAM-002`).reply(200, { sku: input.sku, quantity: 9, updatedAt: new Date().toISOString() });
    assert.equal(await adapter.fetchQuantity(input.sku), 9);
    nock(BASE).get(`${SELLER}/inventory/NS-CREAM-002`).reply(404, { error: { code: 'NOT_FOUND', message: 'no such listing' } });
    assert.equal(await adapter.fetchQuantity(input.sku), null);

    const del = nock(BASE).delete(`${SELLER}/listings/NS-CREAM-002`).matchHeader('x-nykaa-api-key', 'unit-nykaa-key').reply(204);
    await adapter.delist(input.sku);
    assert.ok(del.isDone());
    nock(BASE).delete(`${SELLER}/listings/NS-CREAM-002`).reply(404, { error: { code: 'NOT_FOUND', message: 'gone' } });
    await adapter.delist(input.sku);
  });

  it('pulls reviews since a date', async () => {
    const since = new Date('2026-11-01T00:00:00.000Z');
    nock(BASE).get(`${SELLER}/reviews`).query({ since: since.toISOString() }).matchHeader('x-nykaa-api-key', 'unit-nykaa-key').reply(200, {
      reviews: [{ id: 'r1', sku: 'NS-CREAM-002', rating: 4, title: 'Nice', body: 'Soft skin', author: 'A. Tester', createdAt: '2026-11-02T10:00:00.000Z' }],
    });
    assert.deepEqual(await adapter.fetchReviews(since), [
      { externalId: 'r1', sku: 'NS-CREAM-002', rating: 4, title: 'Nice', body: 'Soft skin', author: 'A. Tester', createdAt: '2026-11-02T10:00:00.000Z' },
    ]);
  });

  it('maps each Nykaa error to its typed error', async () => {
    nock(BASE).put(`${SELLER}/listings/NS-CREAM-002`).reply(401, { error: { code: 'UNAUTHORIZED', message: 'invalid api key' } });
    const auth = await adapter.publishListing(input).catch((e) => e);
    assert.ok(auth instanceof CredentialRejectedError);
    assert.equal(auth.partner, 'nykaa');
    assert.equal(auth.credentialVersion, 1);
    assert.match(auth.message, /UNAUTHORIZED/);
    assert.equal(creds.rejected.length, 1);
    assert.doesNotMatch(auth.message, /unit-nykaa-key/);

    nock(BASE).put(`${SELLER}/listings/NS-CREAM-002`).reply(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'Retry-After': '3' });
    const limited = await adapter.publishListing(input).catch((e) => e);
    assert.ok(limited instanceof RateLimitedError);
    assert.equal(limited.retryAfterMs, 3000);

    nock(BASE).put(`${SELLER}/listings/NS-CREAM-002`).reply(400, { error: { code: 'VALIDATION_ERROR', message: 'price.amount must be a decimal string' } });
    const bad = await adapter.publishListing(input).catch((e) => e);
    assert.ok(bad instanceof ListingRejectedError);
    assert.match(bad.message, /VALIDATION_ERROR: price.amount/);

    nock(BASE).put(`${SELLER}/inventory/NS-CREAM-002`).reply(404, { error: { code: 'NOT_FOUND', message: 'no listing' } });
    assert.ok((await adapter.updateQuantity(input.sku, 1).catch((e) => e)) instanceof ListingRejectedError);

    nock(BASE).put(`${SELLER}/listings/NS-CREAM-002`).reply(500, { error: { code: 'INTERNAL', message: 'boom' } });
    assert.ok((await adapter.publishListing(input).catch((e) => e)) instanceof PartnerUnavailableError);

    nock(BASE).put(`${SELLER}/listings/NS-CREAM-002`).delay(2500).reply(200, {});
    const slow = await adapter.publishListing(input).catch((e) => e);
    assert.ok(slow instanceof PartnerUnavailableError, String(slow));
    assert.match(slow.message, /timed out/);
  });

  it('verifies the key at /v1/auth/verify', async () => {
    const scope = nock(BASE).get('/nykaa/v1/auth/verify').matchHeader('x-nykaa-api-key', 'unit-nykaa-key').reply(200, { sellerId: 'NYK-UNIT' });
    await adapter.verify();
    assert.ok(scope.isDone());
  });
});
