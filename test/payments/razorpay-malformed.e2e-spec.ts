import '../support/test-env';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it, mock } from 'node:test';
import { ProblemException } from '@hub/core';
import { razorpaySignature, RazorpayWebhookService, UNIDENTIFIED_EVENT_PREFIX } from '@hub/payments';
import { OrdersStack, startOrdersStack } from '../orders/support/orders-stack';
import { deliver, newStorefrontOrder, razorpayEvent, seedProduct, stockOf, WEBHOOK_SECRET } from './support/orders-harness';

/**
 * Razorpay redelivers anything but a 2xx for a day and then disables the webhook, so a body it
 * signed is acknowledged whatever its shape; only a bad signature is refused.
 */
describe('POST /v1/webhooks/razorpay: signed bodies that are no usable event', () => {
  let stack: OrdersStack;
  let webhooks: RazorpayWebhookService;

  before(async () => {
    stack = await startOrdersStack('rzpmalformed');
    webhooks = stack.api.app.get(RazorpayWebhookService, { strict: false });
  });
  after(() => stack?.close());

  const row = async (eventId: string) =>
    (await stack.ds.query(`SELECT event, outcome, raw_body, razorpay_order_id, razorpay_payment_id FROM razorpay_events WHERE event_id = $1`, [eventId]))[0];
  const rowCount = async () => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events`))[0].n);
  const post = (raw: string, headers: Record<string, string>) =>
    fetch(`${stack.api.url}/v1/webhooks/razorpay`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
  /** Every warn line the webhook service logs while `fn` runs. */
  const warnings = async (fn: () => Promise<void>) => {
    const logger = (webhooks as any).logger as { warn: (...args: any[]) => void };
    const warn = mock.method(logger, 'warn', () => undefined);
    try {
      await fn();
      return warn.mock.calls.map((c) => c.arguments);
    } finally {
      warn.mock.restore();
    }
  };

  const ODD: [string, string, string][] = [
    ['no event', 'evt_mal_noevent', '{"entity":"event","payload":{}}'],
    ['no payload', 'evt_mal_nopayload', '{"event":"payment.captured"}'],
    ['payload an array', 'evt_mal_payloadarray', '{"event":"payment.captured","payload":[]}'],
    ['event a number', 'evt_mal_eventnumber', '{"event":5,"payload":{}}'],
    ['an array', 'evt_mal_array', '[{"event":"payment.captured","payload":{}}]'],
    ['a JSON string', 'evt_mal_string', '"payment.captured"'],
    ['a number', 'evt_mal_number', '42'],
    ['null', 'evt_mal_null', 'null'],
  ];

  it('stores a signed body of any other shape as malformed, answers 200 and redeliveries duplicate', async () => {
    for (const [what, id, raw] of ODD) {
      const res = await deliver(stack.api.url, id, raw);
      assert.equal(res.status, 200, `${what}: ${res.status} ${await res.clone().text()}`);
      assert.deepEqual(await res.json(), { eventId: id, status: 'processed', outcome: 'malformed' }, what);
      const stored = await row(id);
      assert.equal(stored.outcome, 'malformed', what);
      assert.equal(stored.raw_body, raw, `${what}: the exact signed bytes are kept`);
      assert.equal(stored.event, what === 'no payload' || what === 'payload an array' ? 'payment.captured' : '', what);
      const again = await deliver(stack.api.url, id, raw);
      assert.equal(again.status, 200, what);
      assert.deepEqual(await again.json(), { eventId: id, status: 'duplicate', outcome: null }, what);
    }
  });

  it('applies the same malformed event once however many deliveries race', async () => {
    const raw = '{"entity":"event","payload":{"payment":{}}}';
    const res = await Promise.all(Array.from({ length: 20 }, () => deliver(stack.api.url, 'evt_mal_race', raw)));
    assert.ok(res.every((r) => r.status === 200), res.map((r) => r.status).join(','));
    const bodies: any[] = await Promise.all(res.map((r) => r.json()));
    assert.equal(bodies.filter((b) => b.status === 'processed' && b.outcome === 'malformed').length, 1);
    assert.equal(bodies.filter((b) => b.status === 'duplicate').length, 19);
  });

  it('refuses the same bodies unsigned or badly signed with 400 invalid-signature, storing nothing', async () => {
    const before = await rowCount();
    for (const [what, id, raw] of ODD) {
      for (const [how, headers] of [
        ['no signature', { 'x-razorpay-event-id': `${id}_unsigned` }],
        ['wrong secret', { 'x-razorpay-event-id': `${id}_forged`, 'x-razorpay-signature': razorpaySignature(raw, 'not-the-secret') }],
        ['no event id either', { 'x-razorpay-signature': 'f'.repeat(64) }],
      ] as [string, Record<string, string>][]) {
        const res = await post(raw, headers);
        assert.equal(res.status, 400, `${what}, ${how}`);
        assert.ok(((await res.json()) as any).type.endsWith('/invalid-signature'), `${what}, ${how}`);
      }
    }
    assert.equal(await rowCount(), before, 'nothing stored');
  });

  it('stores a signed event without a usable event id under its body hash, applying nothing', async () => {
    await seedProduct(stack.api.app, 'MAL-NOID', 4);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'MAL-NOID', quantity: 1 }]);
    const raw = JSON.stringify(razorpayEvent('payment.captured', order.razorpay!.orderId, 'pay_NoId00000001', order.amountMinor));
    const id = `${UNIDENTIFIED_EVENT_PREFIX}${createHash('sha256').update(raw).digest('hex')}`;
    const signature = razorpaySignature(raw, WEBHOOK_SECRET());
    const missing = await post(raw, { 'x-razorpay-signature': signature });
    assert.equal(missing.status, 200);
    assert.deepEqual(await missing.json(), { eventId: id, status: 'processed', outcome: 'malformed' });
    assert.deepEqual(await row(id), { event: 'payment.captured', outcome: 'malformed', raw_body: raw, razorpay_order_id: order.razorpay!.orderId, razorpay_payment_id: 'pay_NoId00000001' });
    // An unusable header (too long, not ASCII) is no id either: the same bytes are the same row.
    for (const header of ['e'.repeat(129), 'evt with space']) {
      const res = await post(raw, { 'x-razorpay-signature': signature, 'x-razorpay-event-id': header });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { eventId: id, status: 'duplicate', outcome: null });
    }
    // Without an id "once per event" cannot be kept, so it is for the expiry sweep (which asks Razorpay) to pay.
    assert.equal((await stack.orders.get(undefined, order.id)).status, 'pending-payment');
    assert.deepEqual(await stockOf(stack.ds, 'MAL-NOID'), { onHand: 4, reserved: 1 });
  });

  it('logs a warning once per stored malformed event, with its id and never the body', async () => {
    const raw = JSON.stringify({ entity: 'event', payload: { payment: { entity: { email: 'priya.secret@example.com', contact: '+919812345678', card: { last4: '4242' } } } } });
    const logged = await warnings(async () => {
      for (let i = 0; i < 3; i++) assert.equal((await deliver(stack.api.url, 'evt_mal_log', raw)).status, 200);
    });
    assert.equal(logged.length, 1, 'once, not once per redelivery');
    const [fields, message] = logged[0];
    assert.equal(fields.eventId, 'evt_mal_log');
    assert.match(fields.reason, /event/);
    assert.match(String(message), /malformed/);
    const line = JSON.stringify(logged[0]);
    for (const secret of ['priya.secret', '+919812345678', '4242']) assert.ok(!line.includes(secret), `${secret} not logged: ${line}`);
    // A body that is not JSON: V8's parse error quotes the input, so it must not reach the log either.
    const notJson = Buffer.from('{"email":"priya.secret@example.com",');
    const second = await warnings(async () => {
      await webhooks.receive(notJson, undefined, razorpaySignature(notJson, WEBHOOK_SECRET()), 'evt_mal_log_notjson');
    });
    assert.equal(second.length, 1);
    assert.ok(!JSON.stringify(second[0]).includes('priya.secret'), JSON.stringify(second[0]));
  });

  it('stores signed bytes that are not JSON when they reach it unparsed, and still applies a real event so', async () => {
    // What the route gets once libs/core hands it the raw body unparsed (docs/orders-payments.md).
    const receive = (raw: Buffer, id: string, signature = razorpaySignature(raw, WEBHOOK_SECRET())) => webhooks.receive(raw, undefined, signature, id);
    for (const [what, id, raw] of [
      ['not JSON', 'evt_raw_notjson', Buffer.from('not json{')],
      ['empty', 'evt_raw_empty', Buffer.alloc(0)],
      ['prototype poisoning', 'evt_raw_proto', Buffer.from('{"event":"payment.captured","payload":{},"__proto__":{"x":1}}')],
    ] as [string, string, Buffer][]) {
      assert.deepEqual(await receive(raw, id), { eventId: id, status: 'processed', outcome: 'malformed' }, what);
      assert.equal((await row(id)).raw_body, raw.toString('utf8'), what);
      assert.deepEqual(await receive(raw, id), { eventId: id, status: 'duplicate', outcome: null }, what);
    }
    // Text cannot hold a NUL byte: it is kept as U+FFFD rather than failing the delivery as a 500.
    const nul = Buffer.from('{"a":"\u0000"}');
    assert.equal((await receive(nul, 'evt_raw_nul')).outcome, 'malformed');
    assert.equal((await row('evt_raw_nul')).raw_body, '{"a":"\ufffd"}');

    for (const raw of [Buffer.from('not json{'), Buffer.alloc(0)]) {
      await assert.rejects(receive(raw, 'evt_raw_forged', razorpaySignature(raw, 'not-the-secret')), (e: unknown) => {
        assert.ok(e instanceof ProblemException);
        assert.equal(e.getStatus(), 400);
        assert.equal(e.slug, 'invalid-signature');
        return true;
      });
    }
    assert.equal(await row('evt_raw_forged'), undefined);

    await seedProduct(stack.api.app, 'MAL-RAW', 3);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'MAL-RAW', quantity: 2 }]);
    const capture = Buffer.from(JSON.stringify(razorpayEvent('payment.captured', order.razorpay!.orderId, 'pay_Raw000000001', order.amountMinor)));
    assert.equal((await receive(capture, 'evt_raw_capture')).outcome, 'order-paid');
    assert.deepEqual(await stockOf(stack.ds, 'MAL-RAW'), { onHand: 1, reserved: 0 });
    // Nothing here walks the payload, so nesting deeper than the HTTP parser allows is no reason to refuse.
    const deep: any = razorpayEvent('payment.authorized', 'order_NotOurs0000003', 'pay_Deep00000001', 100);
    deep.payload.payment.entity.notes = JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`);
    assert.equal((await receive(Buffer.from(JSON.stringify(deep)), 'evt_raw_deep')).outcome, 'ignored');
  });

  it('stores an event whose ids Postgres cannot hold (NUL, lone surrogate) as malformed instead of failing with 500', async () => {
    for (const [id, body] of [
      ['evt_pg_nul_event', { event: 'payment.\u0000captured', payload: {} }],
      ['evt_pg_nul_order', { event: 'payment.captured', payload: { payment: { entity: { id: 'pay_1', order_id: 'order_\u0000', amount: 100, currency: 'INR' } } } }],
      ['evt_pg_surrogate', { event: 'order.paid', payload: { order: { entity: { id: 'order_\ud800', amount: 100, currency: 'INR' } } } }],
    ] as [string, object][]) {
      const raw = Buffer.from(JSON.stringify(body));
      const r = await webhooks.receive(raw, body, razorpaySignature(raw, WEBHOOK_SECRET()), id);
      assert.deepEqual(r, { eventId: id, status: 'processed', outcome: 'malformed' }, id);
      assert.equal((await row(id)).raw_body, raw.toString('utf8'), id);
    }
  });

  it('answers a signed body that is not JSON with 200 over HTTP (core hands the route its raw bytes)', async () => {
    const raw = 'not json{';
    const res = await deliver(stack.api.url, 'evt_http_notjson', raw);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).outcome, 'malformed');
    // Every other refusal of core's JSON parser reaches the route as bytes too.
    // (A NUL escape in a field the event does not use is stored like any event: here, no order to pay.)
    const others: [string, string, string][] = [
      ['evt_http_empty', '', 'malformed'],
      ['evt_http_deep', '['.repeat(40) + ']'.repeat(40), 'malformed'],
      ['evt_http_nul', '{"event":"payment.captured","payload":{"x":"a\\u0000b"}}', 'ignored-no-order'],
    ];
    for (const [id, body, outcome] of others) {
      const r = await deliver(stack.api.url, id, body);
      assert.equal(r.status, 200, `${id}: ${await r.clone().text()}`);
      assert.equal((await row(id)).outcome, outcome, id);
    }
    const forged = await deliver(stack.api.url, 'evt_http_notjson_forged', raw, { secret: 'not-the-secret' });
    assert.ok(((await forged.json()) as any).type.endsWith('/invalid-signature'));
  });
});
