import '../../../../test/support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nock from 'nock';
import { CredentialRejectedError, EnvPartnerCredentials, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import { PaymentsConfig } from '../payments.config';
import { CALL_BOUND_SLACK_MS, RazorpayGateway, razorpayHostUrl } from './razorpay-gateway.service';
import { RazorpayRequestError } from './razorpay.errors';
import { freePort } from '../../../../test/support/processes';

const HOST = 'http://razorpay.gateway.test';

function gateway(apiUrl: string, timeoutMs = 2000): RazorpayGateway {
  const cfg = Object.assign(new PaymentsConfig(), { RAZORPAY_API_URL: apiUrl, RAZORPAY_TIMEOUT_MS: timeoutMs });
  return new RazorpayGateway(cfg, new EnvPartnerCredentials());
}

describe('RazorpayGateway (the real SDK, pointed elsewhere)', () => {
  before(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  after(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('strips the /v1 suffix the SDK adds itself', () => {
    assert.equal(razorpayHostUrl('http://127.0.0.1:4010/v1/'), 'http://127.0.0.1:4010');
    assert.equal(razorpayHostUrl('https://api.razorpay.com/v1'), 'https://api.razorpay.com');
    assert.equal(razorpayHostUrl('http://h:1/'), 'http://h:1');
  });

  it('creates an order at the configured host with Basic auth from PartnerCredentials', async () => {
    const expectedAuth = 'Basic ' + Buffer.from(`${process.env.RAZORPAY_KEY_ID}:${process.env.RAZORPAY_KEY_SECRET}`).toString('base64');
    const scope = nock(HOST)
      .post('/v1/orders', (b) => b.amount === 179800 && b.currency === 'INR' && b.receipt === 'ord-1')
      .matchHeader('authorization', expectedAuth)
      .reply(200, { id: 'order_ABC', entity: 'order', amount: 179800, amount_paid: 0, amount_due: 179800, currency: 'INR', receipt: 'ord-1', status: 'created', notes: [], created_at: 1 });
    const order = await gateway(`${HOST}/v1/`).createOrder({ amount: 179800, currency: 'INR', receipt: 'ord-1' });
    assert.equal(order.id, 'order_ABC');
    scope.done();
  });

  it("turns the SDK's plain-object errors into typed errors", async () => {
    const g = gateway(`${HOST}/v1/`);
    nock(HOST).post('/v1/orders').reply(400, { error: { code: 'BAD_REQUEST_ERROR', description: 'The amount must be atleast INR 1.00', field: 'amount' } });
    await assert.rejects(g.createOrder({ amount: 1, currency: 'INR', receipt: 'r' }), (e: unknown) => e instanceof RazorpayRequestError && e.field === 'amount' && e.code === 'BAD_REQUEST_ERROR');
    nock(HOST).post('/v1/orders').reply(401, { error: { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' } });
    await assert.rejects(g.createOrder({ amount: 100, currency: 'INR', receipt: 'r' }), CredentialRejectedError);
    nock(HOST).post('/v1/orders').reply(429, { error: { code: 'BAD_REQUEST_ERROR', description: 'Too many requests' } });
    await assert.rejects(g.createOrder({ amount: 100, currency: 'INR', receipt: 'r' }), RateLimitedError);
    nock(HOST).post('/v1/orders').reply(502, { error: { code: 'SERVER_ERROR', description: 'bad gateway' } });
    await assert.rejects(g.createOrder({ amount: 100, currency: 'INR', receipt: 'r' }), PartnerUnavailableError);
  });

  it("lists an order's payments (GET /v1/orders/:id/payments); an answer without items is no answer, not \"no payments\"", async () => {
    const g = gateway(`${HOST}/v1/`);
    const payment = { id: 'pay_A', entity: 'payment', amount: 179800, currency: 'INR', status: 'captured', order_id: 'order_ABC', captured: true, method: 'upi', created_at: 1 };
    nock(HOST).get('/v1/orders/order_ABC/payments').reply(200, { entity: 'collection', count: 1, items: [payment] });
    assert.deepEqual(await g.fetchOrderPayments('order_ABC'), [payment]);
    nock(HOST).get('/v1/orders/order_ABC/payments').reply(200, { entity: 'collection', count: 0 });
    await assert.rejects(g.fetchOrderPayments('order_ABC'), PartnerUnavailableError);
    nock(HOST).get('/v1/orders/order_ABC/payments').reply(503, { error: { code: 'SERVER_ERROR', description: 'down' } });
    await assert.rejects(g.fetchOrderPayments('order_ABC'), PartnerUnavailableError);
  });

  it('turns a dead host (the SDK throws a TypeError) and a hung host into PartnerUnavailableError', async () => {
    const port = await freePort(); // nothing listens here
    await assert.rejects(gateway(`http://127.0.0.1:${port}/v1/`).createOrder({ amount: 100, currency: 'INR', receipt: 'r' }), PartnerUnavailableError);
    nock(HOST).post('/v1/orders').delay(1500).reply(200, {});
    await assert.rejects(gateway(`${HOST}/v1/`, 200).createOrder({ amount: 100, currency: 'INR', receipt: 'r' }), PartnerUnavailableError);
  });

  it('bounds the whole call, credential read included: a hung read is a PartnerUnavailableError too', async () => {
    const cfg = Object.assign(new PaymentsConfig(), { RAZORPAY_API_URL: `${HOST}/v1/`, RAZORPAY_TIMEOUT_MS: 50 });
    const hung = { current: () => new Promise<never>(() => undefined) } as unknown as EnvPartnerCredentials;
    const g = new RazorpayGateway(cfg, hung);
    const started = Date.now();
    await assert.rejects(g.createOrder({ amount: 100, currency: 'INR', receipt: 'r' }), (e: unknown) => e instanceof PartnerUnavailableError && /did not answer within/.test(e.message));
    await assert.rejects(g.fetchOrderPayments('order_ABC'), PartnerUnavailableError);
    assert.ok(Date.now() - started < 2 * (50 + CALL_BOUND_SLACK_MS) + 1000, 'each call ends at its bound');
  });
});
