import { CredentialRejectedError, ListingRejectedError, loadConfig, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import nock from 'nock';
import { ChannelsConfig } from '../channels.config';
import { RecordingCredentials } from '../testing/recording-credentials';
import { AmazonAdapter } from './amazon.adapter';

const LWA = 'http://lwa.amazon.test';
const SPAPI = 'http://spapi.amazon.test';
const ITEM = '/listings/2021-08-01/items/A1SELLER/NS-SERUM-001';
const MARKET = { marketplaceIds: 'A21TJRUUN4KGV' };
const fields = {
  clientId: 'amzn1.application-oa2-client.unit',
  clientSecret: 'unit-client-secret',
  refreshToken: 'Atzr|unit-refresh',
  sellerId: 'A1SELLER',
  marketplaceId: 'A21TJRUUN4KGV',
};
const input = {
  sku: 'NS-SERUM-001',
  name: 'NovaSkin Test Serum',
  description: 'Fake product for tests',
  category: 'serum',
  price: '899.00',
  currency: 'INR',
  imageUrl: 'http://cdn.test/c_pad,w_2000,h_2000,b_white/serum.jpg',
  quantity: 7,
};

function lwaOk(token = 'Atza|token-1', expiresIn = 3600) {
  let form: URLSearchParams | undefined;
  let contentType: string | undefined;
  const scope = nock(LWA)
    .post('/auth/o2/token', (body) => {
      form = new URLSearchParams(typeof body === 'string' ? body : new URLSearchParams(body).toString());
      return true;
    })
    .reply(function () {
      contentType = String(this.req.headers['content-type']);
      return [200, { access_token: token, token_type: 'bearer', expires_in: expiresIn, refresh_token: fields.refreshToken }];
    });
  return { scope, form: () => form, contentType: () => contentType };
}

describe('AmazonAdapter (Listings Items API 2021-08-01 + LWA)', () => {
  let creds: RecordingCredentials;
  let clock: number;
  let adapter: AmazonAdapter;

  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  beforeEach(() => {
    creds = new RecordingCredentials({ amazon: fields });
    clock = Date.now();
    const cfg = loadConfig(ChannelsConfig, { AMAZON_LWA_URL: `${LWA}/auth/o2/token`, AMAZON_SPAPI_URL: SPAPI, PARTNER_TIMEOUT_MS: '2000' });
    adapter = new AmazonAdapter(cfg, creds, { now: () => clock });
  });
  afterEach(() => nock.cleanAll());

  it('exchanges the refresh token (form-encoded) and PUTs the listing with the token, attributes, image and quantity', async () => {
    const lwa = lwaOk();
    let body: any;
    const put = nock(SPAPI)
      .put(ITEM, (b) => ((body = b), true))
      .query(MARKET)
      .matchHeader('x-amz-access-token', 'Atza|token-1')
      .matchHeader('content-type', /application\/json/)
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 'sub-1', issues: [] });

    const res = await adapter.publishListing(input);

    assert.deepEqual(res, { externalId: 'NS-SERUM-001', status: 'published' });
    assert.ok(lwa.scope.isDone() && put.isDone());
    assert.match(lwa.contentType()!, /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.fromEntries(lwa.form()!), {
      grant_type: 'refresh_token',
      refresh_token: fields.refreshToken,
      client_id: fields.clientId,
      client_secret: fields.clientSecret,
    });
    assert.equal(body.productType, 'BEAUTY');
    assert.equal(body.requirements, 'LISTING');
    assert.deepEqual(body.attributes.fulfillment_availability, [{ fulfillment_channel_code: 'DEFAULT', quantity: 7 }]);
    assert.deepEqual(body.attributes.main_product_image_locator, [{ media_location: input.imageUrl, marketplace_id: 'A21TJRUUN4KGV' }]);
    assert.deepEqual(body.attributes.list_price, [{ value: 899, currency: 'INR', marketplace_id: 'A21TJRUUN4KGV' }]);
    assert.equal(body.attributes.item_name[0].value, input.name);
    assert.equal(body.attributes.product_description[0].value, input.description);
    assert.deepEqual(creds.accepted, [{ partner: 'amazon', version: 1 }]);
  });

  it('reuses the cached token, and exchanges again shortly before it expires or when the credential version changes', async () => {
    lwaOk('Atza|first');
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|first').times(2)
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    await adapter.updateQuantity(input.sku, 1);
    clock += 3000 * 1000; // 50 min: still comfortably valid
    await adapter.updateQuantity(input.sku, 2);

    const second = lwaOk('Atza|second');
    clock += 9.5 * 60 * 1000; // 59.5 min: inside the refresh margin
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|second')
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    await adapter.updateQuantity(input.sku, 3);
    assert.ok(second.scope.isDone());

    creds.version = 2;
    const third = lwaOk('Atza|third');
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|third')
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    await adapter.updateQuantity(input.sku, 4);
    assert.ok(third.scope.isDone());
    assert.ok(nock.isDone());
  });

  it('shares one LWA exchange among concurrent first calls', async () => {
    const lwa = lwaOk('Atza|shared');
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|shared').times(4)
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    await Promise.all([1, 2, 3, 4].map((q) => adapter.updateQuantity(input.sku, q)));
    assert.ok(lwa.scope.isDone());
    assert.ok(nock.isDone());
    assert.equal(creds.accepted.length, 1);
  });

  it('after calls in flight with a revoked token get their 403s one by one, exchanges once, not once per call', async () => {
    lwaOk('Atza|revoked');
    const ok = { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] };
    const denied = { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] };
    // Three calls go out with the same token; the third 403 arrives after the fresh token is cached.
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|revoked').times(2).reply(403, denied);
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|revoked').delay(150).reply(403, denied);
    const fresh = lwaOk('Atza|fresh');
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|fresh').times(3).reply(200, ok);
    await Promise.all([1, 2, 3].map((q) => adapter.updateQuantity(input.sku, q)));
    assert.ok(fresh.scope.isDone());
    assert.ok(nock.isDone());
    // One exchange for the first token, one for the fresh one: a third would have no interceptor.
    assert.equal(creds.accepted.length, 2);
    assert.equal(creds.rejected.length, 0);
  });

  it('sends an absolute quantity as a JSON patch of /attributes/fulfillment_availability', async () => {
    lwaOk();
    let body: any;
    nock(SPAPI).patch(ITEM, (b) => ((body = b), true)).query(MARKET)
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    assert.deepEqual(await adapter.updateQuantity(input.sku, 42), { confirmedQuantity: 42 });
    assert.deepEqual(body, {
      productType: 'BEAUTY',
      patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 42 }] }],
    });
  });

  it('reads the quantity from GET attributes, null when the listing does not exist, and DELETE delists', async () => {
    lwaOk();
    nock(SPAPI).get(ITEM).query({ ...MARKET, includedData: 'attributes' })
      .reply(200, { sku: input.sku, attributes: { fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: 13 }] } });
    assert.equal(await adapter.fetchQuantity(input.sku), 13);
    nock(SPAPI).get(ITEM).query(true).reply(404, { errors: [{ code: 'NOT_FOUND', message: 'no listing' }] });
    assert.equal(await adapter.fetchQuantity(input.sku), null);
    const del = nock(SPAPI).delete(ITEM).query(MARKET).reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    await adapter.delist(input.sku);
    assert.ok(del.isDone());
  });

  it('maps LWA invalid_client to CredentialRejectedError naming partner and version, and reports it', async () => {
    creds.version = 3;
    nock(LWA).post('/auth/o2/token').reply(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const err = await adapter.publishListing(input).then(() => null, (e) => e);
    assert.ok(err instanceof CredentialRejectedError);
    assert.equal(err.partner, 'amazon');
    assert.equal(err.credentialVersion, 3);
    assert.match(err.message, /invalid_client/);
    assert.equal(err.retryable, false);
    assert.equal(creds.rejected.length, 1);
    assert.equal(creds.rejected[0].version, 3);
    assert.doesNotMatch(JSON.stringify(creds.rejected) + err.message, /unit-client-secret|unit-refresh/);
  });

  it('on 403 drops the token, exchanges once more, and only then reports the credential rejected', async () => {
    lwaOk('Atza|stale');
    nock(SPAPI).put(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|stale')
      .reply(403, { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] });
    lwaOk('Atza|fresh');
    nock(SPAPI).put(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|fresh')
      .reply(403, { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] });
    const err = await adapter.publishListing(input).then(() => null, (e) => e);
    assert.ok(err instanceof CredentialRejectedError, String(err));
    assert.match(err.message, /Unauthorized/);
    assert.ok(nock.isDone());
    assert.equal(creds.rejected.length, 1);

    // The dropped token is not reused: the next call exchanges again.
    const again = lwaOk('Atza|third');
    nock(SPAPI).patch(ITEM).query(MARKET).matchHeader('x-amz-access-token', 'Atza|third')
      .reply(200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] });
    await adapter.updateQuantity(input.sku, 1);
    assert.ok(again.scope.isDone());
  });

  it('maps 429 QuotaExceeded to RateLimitedError and sends nothing to Amazon before Retry-After has passed', async () => {
    lwaOk();
    nock(SPAPI).patch(ITEM).query(MARKET)
      .reply(429, { errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.' }] }, { 'Retry-After': '1', 'x-amzn-RateLimit-Limit': '5.0' });
    const limitedAt = Date.now();
    const err = await adapter.updateQuantity(input.sku, 1).then(() => null, (e) => e);
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.retryAfterMs, 1000);
    assert.equal(err.retryable, true);

    let arrivedAt = 0;
    nock(SPAPI).patch(ITEM).query(MARKET).reply(() => {
      arrivedAt = Date.now();
      return [200, { sku: input.sku, status: 'ACCEPTED', submissionId: 's', issues: [] }];
    });
    await adapter.updateQuantity(input.sku, 2);
    assert.ok(arrivedAt - limitedAt >= 990, `next request went out ${arrivedAt - limitedAt} ms after the 429`);
  });

  it('derives the wait from x-amzn-RateLimit-Limit when there is no Retry-After', async () => {
    lwaOk();
    nock(SPAPI).put(ITEM).query(MARKET).reply(429, { errors: [{ code: 'QuotaExceeded', message: 'slow down' }] }, { 'x-amzn-RateLimit-Limit': '2.0' });
    const err = await adapter.publishListing(input).then(() => null, (e) => e);
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.retryAfterMs, 500);
  });

  it('maps 5xx and connection failures to PartnerUnavailableError, other 4xx and INVALID submissions to ListingRejectedError', async () => {
    lwaOk();
    nock(SPAPI).put(ITEM).query(MARKET).reply(503, { errors: [{ code: 'ServiceUnavailable', message: 'try later' }] });
    assert.ok((await adapter.publishListing(input).catch((e) => e)) instanceof PartnerUnavailableError);

    // A port nothing listens on: a real refused connection, not a simulated one.
    nock.enableNetConnect('127.0.0.1:9');
    const closed = new AmazonAdapter(
      loadConfig(ChannelsConfig, { AMAZON_LWA_URL: `${LWA}/auth/o2/token`, AMAZON_SPAPI_URL: 'http://127.0.0.1:9', PARTNER_TIMEOUT_MS: '2000' }),
      creds,
    );
    lwaOk();
    const conn = await closed.publishListing(input).catch((e) => e);
    nock.disableNetConnect();
    assert.ok(conn instanceof PartnerUnavailableError, String(conn));
    assert.match(conn.message, /connection failed \(ECONNREFUSED\)/);

    nock(SPAPI).put(ITEM).query(MARKET).reply(400, { errors: [{ code: 'InvalidInput', message: 'bad productType' }] });
    const bad = await adapter.publishListing(input).catch((e) => e);
    assert.ok(bad instanceof ListingRejectedError);
    assert.match(bad.message, /InvalidInput: bad productType/);

    nock(SPAPI).put(ITEM).query(MARKET).reply(200, {
      sku: input.sku, status: 'INVALID', submissionId: 's',
      issues: [{ code: '90220', message: "'item_name' is required but not supplied.", severity: 'ERROR' }],
    });
    const invalid = await adapter.publishListing(input).catch((e) => e);
    assert.ok(invalid instanceof ListingRejectedError);
    assert.match(invalid.message, /item_name/);
  });

  it('has no reviews to offer (the Listings API exposes none)', async () => {
    assert.deepEqual(await adapter.fetchReviews(), []);
  });
});
