import { testEnv } from '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { freePort, spawnEntry } from '../support/processes';
import { RunningSandbox, startSandbox } from './sandbox-harness';

const NYKAA = { 'x-nykaa-api-key': process.env.NYKAA_API_KEY! };
const LWA = { 'content-type': 'application/x-www-form-urlencoded' };
const grant = (secret = process.env.AMAZON_LWA_CLIENT_SECRET!) =>
  new URLSearchParams({ grant_type: 'refresh_token', refresh_token: process.env.AMAZON_LWA_REFRESH_TOKEN!, client_id: process.env.AMAZON_LWA_CLIENT_ID!, client_secret: secret }).toString();
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('sandbox control plane across all partners', () => {
  let sb: RunningSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb?.close());
  beforeEach(async () => {
    await sb.call('POST', '/_sandbox/reset');
  });

  it('serves all four partners and shows each one’s state', async () => {
    const health = await sb.call('GET', '/_sandbox/health');
    assert.deepEqual(health.body.partners, ['amazon', 'nykaa', 'cloudinary', 'razorpay']);
    const st = await sb.state();
    assert.deepEqual(st.amazon.listings, {});
    assert.deepEqual(st.nykaa.listings, {});
    assert.deepEqual(st.cloudinary.uploads, {});
    assert.deepEqual(st.razorpay.orders, {});
    assert.deepEqual(st.faults, []);
  });

  it('reset empties every partner and restores the environment’s credentials', async () => {
    const rot = await sb.call('POST', '/_sandbox/amazon/rotate-secret', { rejectOldImmediately: true });
    await sb.call('POST', '/_sandbox/razorpay/webhook-secret', { secret: 'another_secret_123' });
    await sb.call('PUT', `/nykaa/v1/sellers/${process.env.NYKAA_SELLER_ID}/listings/NS-1`, { title: 't', category: 'c', price: { amount: '1.00', currency: 'INR' }, imageUrl: 'https://x.test/a.jpg', quantity: 1 }, NYKAA);
    await sb.call('POST', '/_sandbox/nykaa/reviews', { sku: 'NS-1', rating: 4 });
    const order = await sb.call('POST', '/v1/orders', { amount: 100, currency: 'INR' }, basic(process.env.RAZORPAY_KEY_ID!, process.env.RAZORPAY_KEY_SECRET!));
    assert.equal(order.status, 200);
    await sb.fault({ partner: 'nykaa', kind: 'server-error' });
    let st = await sb.state();
    assert.equal(Object.keys(st.nykaa.listings).length, 1);
    assert.equal(Object.keys(st.razorpay.orders).length, 1);
    assert.equal(st.faults.length, 1);

    await sb.call('POST', '/_sandbox/reset');
    st = await sb.state();
    assert.deepEqual(st.nykaa.listings, {});
    assert.deepEqual(st.nykaa.reviews, []);
    assert.deepEqual(st.razorpay.orders, {});
    assert.deepEqual(st.faults, []);
    assert.equal(st.amazon.clientSecretVersion, 1);
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(), LWA)).status, 200);
    assert.equal((await sb.call('POST', '/auth/o2/token', grant(rot.body.newClientSecret), LWA)).status, 401);
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, NYKAA)).status, 200);
  });

  it('rejects malformed fault requests with a 400 naming the problem', async () => {
    const unknown = await sb.call('POST', '/_sandbox/faults', { partner: 'ebay', kind: 'server-error' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.detail, /partner/);
    const negative = await sb.call('POST', '/_sandbox/faults', { partner: 'nykaa', kind: 'latency', ms: -5 });
    assert.equal(negative.status, 400);
    assert.match(negative.body.detail, /ms/);
  });

  it('a wildcard server-error fault hits every partner in its own format until cleared', async () => {
    await sb.fault({ partner: '*', kind: 'server-error', status: 503 });
    const n = await sb.call('GET', '/nykaa/v1/auth/verify', undefined, NYKAA);
    assert.deepEqual([n.status, n.body.error.code], [503, 'INTERNAL']);
    const a = await sb.call('POST', '/auth/o2/token', grant(), LWA);
    assert.deepEqual([a.status, a.body.error], [503, 'server_error']);
    const c = await sb.call('GET', '/v1_1/novaskin-test/ping');
    assert.deepEqual([c.status, c.body.error.message], [503, 'General Error']);
    const r = await sb.call('GET', '/v1/orders');
    assert.deepEqual([r.status, r.body.error.code], [503, 'SERVER_ERROR']);
    await sb.call('DELETE', '/_sandbox/faults');
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, NYKAA)).status, 200);
  });

  it('a match-scoped fault only affects matching paths', async () => {
    await sb.fault({ partner: 'nykaa', kind: 'server-error', match: '/inventory/' });
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, NYKAA)).status, 200);
    const inv = await sb.call('GET', `/nykaa/v1/sellers/${process.env.NYKAA_SELLER_ID}/inventory/NS-1`, undefined, NYKAA);
    assert.equal(inv.status, 500);
  });

  it('latency delays by ms ± jitterMs', async () => {
    await sb.fault({ partner: 'nykaa', kind: 'latency', ms: 300, jitterMs: 100, count: 3 });
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, NYKAA)).status, 200);
      const took = Date.now() - t0;
      assert.ok(took >= 195 && took < 1000, `took ${took} ms`);
    }
  });

  it('timeout holds the request and drops the connection; clearing faults releases held requests at once', async () => {
    await sb.fault({ partner: 'nykaa', kind: 'timeout', ms: 300, count: 1 });
    const t0 = Date.now();
    await assert.rejects(fetch(`${sb.url}/nykaa/v1/auth/verify`, { headers: NYKAA }));
    assert.ok(Date.now() - t0 >= 290);

    await sb.fault({ partner: 'nykaa', kind: 'timeout', ms: 60_000 });
    const t1 = Date.now();
    const held = fetch(`${sb.url}/nykaa/v1/auth/verify`, { headers: NYKAA }).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 100));
    await sb.call('DELETE', '/_sandbox/faults?partner=nykaa');
    assert.equal(await held, 'dropped');
    assert.ok(Date.now() - t1 < 5000);
    assert.equal((await sb.call('GET', '/nykaa/v1/auth/verify', undefined, NYKAA)).status, 200);
  });
});

describe('partner-sandbox entry point', () => {
  it('boots from the environment, serves the partners and stops on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawnEntry('apps/partner-sandbox/src/main.js', testEnv({ SANDBOX_PORT: String(port) }));
    try {
      await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+ \(partners: amazon, nykaa, cloudinary, razorpay\)/);
      const res = await fetch(`http://127.0.0.1:${port}/nykaa/v1/auth/verify`, { headers: NYKAA });
      assert.equal(res.status, 200);
    } finally {
      assert.equal(await proc.kill('SIGTERM'), 0, proc.output());
    }
  });
});
