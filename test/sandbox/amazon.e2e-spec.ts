import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NotificationQueue } from '../../apps/partner-sandbox/src/partners/amazon/notification-queue';
import { RunningSandbox, startSandbox } from './sandbox-harness';

const env = process.env;
const MKT = 'A21TJRUUN4KGV';
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const grant = (secret = env.AMAZON_LWA_CLIENT_SECRET!, refresh = env.AMAZON_LWA_REFRESH_TOKEN!) =>
  form({ grant_type: 'refresh_token', refresh_token: refresh, client_id: env.AMAZON_LWA_CLIENT_ID!, client_secret: secret });

const listingBody = (quantity: number, extra: Record<string, unknown> = {}) => ({
  productType: 'BEAUTY',
  requirements: 'LISTING',
  attributes: {
    item_name: [{ value: 'NovaSkin Vitamin C Serum 30ml', language_tag: 'en_IN', marketplace_id: MKT }],
    list_price: [{ value: 899, currency: 'INR' }],
    fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity }],
    main_product_image_locator: [{ media_location: 'https://img.example.test/c_pad/serum.jpg' }],
    ...extra,
  },
});

describe('amazon sandbox: LWA, Listings Items API, throttling, secret rotation', () => {
  let sb: RunningSandbox;
  const seller = env.AMAZON_SELLER_ID!;
  const item = (sku: string) => `/listings/2021-08-01/items/${seller}/${encodeURIComponent(sku)}?marketplaceIds=${MKT}`;

  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb?.close());
  beforeEach(async () => {
    await sb.call('POST', '/_sandbox/reset');
  });

  const token = async () => {
    const r = await sb.call('POST', '/auth/o2/token', grant(), FORM);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.access_token as string;
  };

  it('exchanges a refresh token for a one-hour access token (form-encoded LWA)', async () => {
    const r = await sb.call('POST', '/auth/o2/token', grant(), FORM);
    assert.equal(r.status, 200);
    assert.match(r.body.access_token, /^Atza\|/);
    assert.equal(r.body.refresh_token, env.AMAZON_LWA_REFRESH_TOKEN);
    assert.equal(r.body.token_type, 'bearer');
    assert.equal(r.body.expires_in, 3600);
    assert.equal((await sb.state()).amazon.tokensIssued, 1);
  });

  it('rejects a wrong client secret with 401 invalid_client, a bad refresh token with 400 invalid_grant', async () => {
    const bad = await sb.call('POST', '/auth/o2/token', grant('wrong-secret'), FORM);
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const badRefresh = await sb.call('POST', '/auth/o2/token', grant(undefined, 'Atzr|nope'), FORM);
    assert.equal(badRefresh.status, 400);
    assert.equal(badRefresh.body.error, 'invalid_grant');
    const missing = await sb.call('POST', '/auth/o2/token', form({ grant_type: 'refresh_token' }), FORM);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
    assert.match(missing.body.error_description, /client_id/);
    const wrongGrant = await sb.call('POST', '/auth/o2/token', grant().replace('refresh_token', 'password'), FORM);
    assert.equal(wrongGrant.body.error, 'unsupported_grant_type');
  });

  it('puts, patches, reads and deletes a listing; state shows quantity, image, title and price', async () => {
    const h = { 'x-amz-access-token': await token() };
    const put = await sb.call('PUT', item('NS-SERUM-30'), listingBody(12), h);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.sku, 'NS-SERUM-30');
    assert.equal(put.body.status, 'ACCEPTED');
    assert.match(put.body.submissionId, /^[0-9a-f]{32}$/);
    assert.deepEqual(put.body.issues, []);
    assert.equal(put.headers.get('x-amzn-ratelimit-limit'), '5.0');

    const patch = await sb.call('PATCH', item('NS-SERUM-30'), {
      productType: 'BEAUTY',
      patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 7 }] }],
    }, h);
    assert.equal(patch.status, 200);
    assert.equal(patch.body.status, 'ACCEPTED');

    const get = await sb.call('GET', item('NS-SERUM-30'), undefined, h);
    assert.equal(get.status, 200);
    assert.equal(get.body.sku, 'NS-SERUM-30');
    assert.equal(get.body.summaries[0].marketplaceId, MKT);
    assert.equal(get.body.summaries[0].itemName, 'NovaSkin Vitamin C Serum 30ml');
    assert.equal(get.body.attributes.fulfillment_availability[0].quantity, 7);
    assert.deepEqual(get.body.issues, []);

    const listing = (await sb.state()).amazon.listings['NS-SERUM-30'];
    assert.equal(listing.quantity, 7);
    assert.equal(listing.imageUrl, 'https://img.example.test/c_pad/serum.jpg');
    assert.equal(listing.title, 'NovaSkin Vitamin C Serum 30ml');
    assert.equal(listing.price, 899);
    assert.equal(listing.currency, 'INR');
    assert.equal(listing.status, 'BUYABLE');
    assert.equal(listing.productType, 'BEAUTY');

    const del = await sb.call('DELETE', item('NS-SERUM-30'), undefined, h);
    assert.equal(del.status, 200);
    assert.equal(del.body.status, 'ACCEPTED');
    const gone = await sb.call('GET', item('NS-SERUM-30'), undefined, h);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.errors[0].code, 'NOT_FOUND');
    const st = await sb.state();
    assert.equal(st.amazon.listings['NS-SERUM-30'].status, 'DELETED');
    assert.equal(st.amazon.requests.putListingsItem, 1);
    assert.equal(st.amazon.requests.patchListingsItem, 1);
    assert.equal(st.amazon.requests.getListingsItem, 2);
  });

  it('answers attribute problems with status INVALID and issues, structural problems with 400 errors', async () => {
    const h = { 'x-amz-access-token': await token() };
    const body = listingBody(-1);
    delete (body.attributes as any).item_name;
    const invalid = await sb.call('PUT', item('NS-BAD'), body, h);
    assert.equal(invalid.status, 200);
    assert.equal(invalid.body.status, 'INVALID');
    const names = invalid.body.issues.flatMap((i: any) => i.attributeNames).sort();
    assert.deepEqual(names, ['fulfillment_availability', 'item_name']);
    assert.equal((await sb.state()).amazon.listings['NS-BAD'], undefined);

    const noType = await sb.call('PUT', item('NS-BAD'), { attributes: {} }, h);
    assert.equal(noType.status, 400);
    assert.match(noType.body.errors[0].message, /productType/);
    const noMkt = await sb.call('GET', `/listings/2021-08-01/items/${seller}/NS-BAD`, undefined, h);
    assert.equal(noMkt.status, 400);
    assert.match(noMkt.body.errors[0].message, /marketplaceIds/);
    const badPatch = await sb.call('PATCH', item('NS-NOPE'), { productType: 'BEAUTY', patches: [{ op: 'replace', path: '/attributes/x', value: [] }] }, h);
    assert.equal(badPatch.status, 404);
    const malformed = await sb.call('PUT', item('NS-BAD'), '{"productType":', { ...h, 'content-type': 'application/json' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.errors[0].code, 'InvalidInput');
  });

  it('answers a missing, unknown or other-seller token with 403 Unauthorized', async () => {
    const unauthorized = { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.', details: '' }] };
    const none = await sb.call('GET', item('X'));
    assert.equal(none.status, 403);
    assert.deepEqual(none.body, unauthorized);
    const bogus = await sb.call('GET', item('X'), undefined, { 'x-amz-access-token': 'Atza|forged' });
    assert.deepEqual(bogus.body, unauthorized);
    const other = await sb.call('GET', `/listings/2021-08-01/items/AOTHERSELLER/X?marketplaceIds=${MKT}`, undefined, { 'x-amz-access-token': await token() });
    assert.equal(other.status, 403);
  });

  it('throttles listings calls per seller with a 5/s, burst 5 token bucket (6 rapid calls -> 429 QuotaExceeded)', async () => {
    const h = { 'x-amz-access-token': await token() };
    const results = await Promise.all(Array.from({ length: 6 }, () => sb.call('GET', item('NS-NONE'), undefined, h)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429]);
    const limited = results.find((r) => r.status === 429)!;
    assert.deepEqual(limited.body, { errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.', details: '' }] });
    assert.equal(limited.headers.get('x-amzn-ratelimit-limit'), '5.0');
    // One token refills every 200 ms.
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await sb.call('GET', item('NS-NONE'), undefined, h)).status, 404);
    assert.equal((await sb.state()).amazon.requests.throttled, 1);
  });

  it('rotates the client secret: the old one works until its expiry, a notification carries the new one', async () => {
    const rot = await sb.call('POST', '/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    assert.equal(rot.status, 201);
    const { newClientSecret, oldSecretExpiresAt } = rot.body;
    const days = (Date.parse(oldSecretExpiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 6.99 && days <= 7, `old secret expires in ${days} days`);
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), FORM)).status, 200, 'old secret still valid during overlap');
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(newClientSecret), FORM)).status, 200);
    assert.equal((await sb.state()).amazon.clientSecretVersion, 2);

    const rec = await sb.call('POST', '/_sqs/amazon-notifications/receive', { maxMessages: 10 });
    assert.equal(rec.status, 200);
    assert.equal(rec.body.Messages.length, 1);
    const msg = rec.body.Messages[0];
    const n = JSON.parse(msg.Body);
    assert.equal(n.notificationType, 'APPLICATION_OAUTH_CLIENT_NEW_SECRET');
    assert.equal(n.notificationVersion, '1.0');
    assert.equal(n.payloadVersion, '2023-05-01');
    assert.deepEqual(n.payload.applicationOAuthClientNewSecret, { clientId: env.AMAZON_LWA_CLIENT_ID, newClientSecret, oldClientSecretExpiryTime: oldSecretExpiresAt });
    for (const k of ['applicationId', 'subscriptionId', 'publishTime', 'notificationId']) assert.equal(typeof n.notificationMetadata[k], 'string', k);

    // Invisible while in flight, gone once deleted.
    assert.deepEqual((await sb.call('POST', '/_sqs/amazon-notifications/receive', {})).body.Messages, []);
    assert.equal((await sb.call('POST', '/_sqs/amazon-notifications/delete', { ReceiptHandle: msg.ReceiptHandle })).status, 200);
    const again = await sb.call('POST', '/_sqs/amazon-notifications/delete', { ReceiptHandle: msg.ReceiptHandle });
    assert.equal(again.status, 400);
    assert.match(again.body.__type, /ReceiptHandleIsInvalid/);
  });

  it('rejectOldImmediately: the old secret and its access tokens stop working at once', async () => {
    const oldToken = await token();
    const rot = await sb.call('POST', '/_sandbox/amazon/rotate-secret', { rejectOldImmediately: true });
    assert.equal(rot.status, 201);
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), FORM)).status, 401);
    assert.equal((await sb.call('GET', item('X'), undefined, { 'x-amz-access-token': oldToken })).status, 403);
    const fresh = await sb.call('POST', '/auth/o2/token', grant(rot.body.newClientSecret), FORM);
    assert.equal(fresh.status, 200);
    // Reset restores the environment's secret.
    await sb.call('POST', '/_sandbox/reset');
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), FORM)).status, 200);
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(rot.body.newClientSecret), FORM)).status, 401);
  });

  it('announces a secret expiry, after which the secret is rejected; bad control input is a 400 naming the field', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    const r = await sb.call('POST', '/_sandbox/amazon/notify-expiry', { clientSecretExpiryTime: past });
    assert.equal(r.status, 201);
    const n = JSON.parse((await sb.call('POST', '/_sqs/amazon-notifications/receive', {})).body.Messages[0].Body);
    assert.equal(n.notificationType, 'APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY');
    assert.deepEqual(n.payload.applicationOAuthClientSecretExpiry, { clientId: env.AMAZON_LWA_CLIENT_ID, clientSecretExpiryTime: past });
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), FORM)).status, 401);

    const bad = await sb.call('POST', '/_sandbox/amazon/notify-expiry', { clientSecretExpiryTime: 'tomorrow' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'clientSecretExpiryTime');
    const badRot = await sb.call('POST', '/_sandbox/amazon/rotate-secret', { oldSecretValidDays: -1 });
    assert.equal(badRot.status, 400);
    assert.equal(badRot.body.field, 'oldSecretValidDays');
  });

  it('honours reject-credentials, server-error, rate-limit and latency faults in Amazon formats, and clears them', async () => {
    const h = { 'x-amz-access-token': await token() };
    await sb.fault({ partner: 'amazon', kind: 'reject-credentials' });
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), FORM)).body.error, 'invalid_client');
    assert.equal((await sb.call('GET', item('X'), undefined, h)).body.errors[0].code, 'Unauthorized');
    assert.equal((await sb.call('DELETE', '/_sandbox/faults?partner=amazon')).status, 200);
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), FORM)).status, 200);

    await sb.fault({ partner: 'amazon', kind: 'server-error', status: 503, count: 1 });
    const down = await sb.call('GET', item('X'), undefined, h);
    assert.equal(down.status, 503);
    assert.equal(down.body.errors[0].code, 'InternalFailure');
    assert.equal((await sb.call('GET', item('X'), undefined, h)).status, 404, 'count:1 fault clears itself');

    await sb.fault({ partner: 'amazon', kind: 'rate-limit', retryAfterSeconds: 3, count: 1 });
    const limited = await sb.call('GET', item('X'), undefined, h);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal(limited.body.errors[0].code, 'QuotaExceeded');

    await sb.fault({ partner: 'amazon', kind: 'latency', ms: 300, count: 1 });
    const t0 = Date.now();
    await sb.call('GET', item('X'), undefined, h);
    assert.ok(Date.now() - t0 >= 290);
  });
});

describe('SQS stand-in visibility timeout', () => {
  it('hands an undeleted message out again once its visibility timeout passes', () => {
    let now = 0;
    const q = new NotificationQueue(30_000, () => now);
    q.send({ a: 1 });
    const [first] = q.receive(10);
    assert.deepEqual(q.receive(10), []);
    now = 30_001;
    const [second] = q.receive(10);
    assert.equal(second.MessageId, first.MessageId);
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);
    assert.equal(q.delete(first.ReceiptHandle), false, 'a stale receipt handle does not delete');
    assert.equal(q.delete(second.ReceiptHandle), true);
    assert.equal(q.size().total, 0);
  });
});
