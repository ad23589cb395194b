import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaid, onCancel, onExpiry, onPayment, ORDER_STATUSES, OrderStatus, signalOf } from './order-status';

/** Applies a sequence of events the way the webhook effect does (assuming stock is available). */
function run(start: OrderStatus, events: string[]): OrderStatus {
  let s = start;
  for (const e of events) {
    const t = onPayment(s, signalOf(e));
    if (t.kind !== 'none') s = t.to;
  }
  return s;
}

describe('order state machine', () => {
  it('marks a waiting order paid on payment.captured or order.paid, whichever is first', () => {
    assert.deepEqual(onPayment('pending-payment', signalOf('payment.captured')), { kind: 'commit', to: 'paid' });
    assert.deepEqual(onPayment('pending-payment', signalOf('order.paid')), { kind: 'commit', to: 'paid' });
    assert.equal(onPayment('paid', signalOf('order.paid')).kind, 'none');
  });

  it('never moves a paid order backwards', () => {
    for (const paid of ['paid', 'paid-out-of-stock'] as const) {
      for (const e of ['payment.failed', 'payment.captured', 'order.paid', 'payment.authorized']) {
        assert.equal(onPayment(paid, signalOf(e)).kind, 'none', `${paid} + ${e}`);
      }
      assert.equal(onExpiry(paid).kind, 'none');
      assert.equal(onCancel(paid).kind, 'none');
    }
  });

  it('releases on payment.failed only while waiting for payment', () => {
    assert.deepEqual(onPayment('pending-payment', 'failure'), { kind: 'release', to: 'payment-failed' });
    for (const s of ORDER_STATUSES.filter((x) => x !== 'pending-payment')) assert.equal(onPayment(s, 'failure').kind, 'none', s);
  });

  it('re-reserves when money arrives after the stock was given back', () => {
    for (const s of ['payment-failed', 'expired', 'cancelled'] as const) {
      assert.deepEqual(onPayment(s, 'capture'), { kind: 're-reserve', to: 'paid', otherwise: 'paid-out-of-stock' });
    }
  });

  it('ends in the same status whatever order the events of one payment story arrive in', () => {
    const stories = [
      ['payment.authorized', 'payment.captured', 'order.paid'],
      ['payment.failed', 'payment.authorized', 'payment.captured', 'order.paid'],
      ['payment.failed'],
    ];
    const perms = (xs: string[]): string[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    for (const story of stories) {
      const expected = run('pending-payment', story);
      for (const p of perms(story)) assert.equal(run('pending-payment', [...p, ...p]), expected, p.join(','));
    }
    assert.ok(isPaid(run('pending-payment', stories[1])));
  });
});
