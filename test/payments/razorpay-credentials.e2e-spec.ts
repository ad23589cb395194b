import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { OrdersStack, startOrdersStack } from '../orders/support/orders-stack';
import { deliver, razorpayEvent, seedProduct, stockOf } from './support/orders-harness';

/**
 * The Razorpay credential read per request: a vault without a usable one (missing, or no longer
 * decrypting) gives 503 on both the webhook (so Razorpay redelivers) and storefront orders
 * (nothing reserved), never 500, and the webhook service keeps no secret of its own.
 */
describe('Razorpay credential missing or undecryptable', () => {
  let stack: OrdersStack;
  let writer: string;
  let saved: { id: string; ciphertext: Buffer; status: string };

  before(async () => {
    // Every lookup goes to Postgres, so a change made there is seen by the next request.
    stack = await startOrdersStack('rzpcreds', { env: { VAULT_CACHE_TTL_MS: '0' } });
    await seedProduct(stack.api.app, 'RC-SERUM', 10, '899.00', ['storefront']);
    writer = await createTestKey(stack.api.app, { scopes: ['orders:write', 'orders:read'] });
    const [row] = await stack.ds.query(`SELECT id, ciphertext, status FROM vault_credential_versions WHERE partner = 'razorpay' AND status = 'current'`);
    assert.ok(row, 'the environment credential was imported into the vault');
    saved = row;
  });
  after(() => stack?.close());

  let n = 0;
  const signedEvent = () => deliver(stack.api.url, `evt_cred_${++n}`, JSON.stringify(razorpayEvent('payment.captured', `order_Cred${String(n).padStart(10, '0')}`, `pay_Cred${String(n).padStart(10, '0')}`, 89900)));
  const order = () =>
    fetch(`${stack.api.url}/v1/orders`, {
      method: 'POST',
      headers: { ...bearer(writer), 'content-type': 'application/json', 'idempotency-key': `cred-${++n}` },
      body: JSON.stringify({ channel: 'storefront', items: [{ sku: 'RC-SERUM', quantity: 2 }] }),
    });
  const problem = async (res: Response, status: number, slug: string) => {
    const body: any = await res.json();
    assert.equal(res.status, status, JSON.stringify(body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.ok(body.type.endsWith('/' + slug), body.type);
    assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After');
    return body;
  };
  const orderRows = async () => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM orders`))[0].n);
  const eventRows = async () => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events`))[0].n);

  async function assertUnavailable(): Promise<void> {
    const events = await eventRows();
    const orders = await orderRows();
    const calls = stack.razorpay.created();
    await problem(await signedEvent(), 503, 'payment-provider-unavailable');
    await problem(await deliver(stack.api.url, `evt_cred_${++n}`, '{"event":"payment.captured"}', { signature: 'f'.repeat(64) }), 503, 'payment-provider-unavailable');
    const body = await problem(await order(), 503, 'payment-provider-unavailable');
    assert.doesNotMatch(JSON.stringify(body), /secret|decrypt|vault/i, 'no credential detail to the API caller');
    assert.equal(await eventRows(), events, 'no event stored');
    assert.equal(await orderRows(), orders, 'no order stored');
    assert.equal(stack.razorpay.created(), calls, 'no Razorpay order created');
    assert.deepEqual(await stockOf(stack.ds, 'RC-SERUM'), { onHand: 10, reserved: 2 }, 'nothing more reserved');
  }

  it('works with the credential, then answers 503 at once when it stops decrypting, and recovers when it is fixed', async () => {
    assert.equal((await signedEvent()).status, 200);
    assert.equal((await order()).status, 201);
    assert.deepEqual(await stockOf(stack.ds, 'RC-SERUM'), { onHand: 10, reserved: 2 });

    const flipped = Buffer.from(saved.ciphertext);
    flipped[flipped.length - 1] ^= 0xff;
    await stack.ds.query(`UPDATE vault_credential_versions SET ciphertext = $2 WHERE id = $1`, [saved.id, flipped]);
    await assertUnavailable();

    await stack.ds.query(`UPDATE vault_credential_versions SET ciphertext = $2 WHERE id = $1`, [saved.id, saved.ciphertext]);
    assert.equal((await signedEvent()).status, 200);
  });

  it('answers 503 while the vault holds no usable Razorpay credential', async () => {
    await stack.ds.query(`UPDATE vault_credential_versions SET status = 'retired' WHERE id = $1`, [saved.id]);
    try {
      await assertUnavailable();
    } finally {
      await stack.ds.query(`UPDATE vault_credential_versions SET status = $2 WHERE id = $1`, [saved.id, saved.status]);
    }
    assert.equal((await signedEvent()).status, 200);
    const res = await order();
    assert.equal(res.status, 201);
    assert.deepEqual(await stockOf(stack.ds, 'RC-SERUM'), { onHand: 10, reserved: 4 });
  });
});
