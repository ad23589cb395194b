/**
 * Order lifecycle. Storefront orders start `pending-payment` holding a reservation; marketplace
 * orders (Amazon, Nykaa) arrive paid and start `paid`. Payment events may arrive late, twice or
 * out of order, so every transition is decided here from (current status, event) and nothing else:
 *
 *   pending-payment --capture--> paid                  (commit the reservation)
 *   pending-payment --failed---> payment-failed        (release)
 *   pending-payment --ttl------> expired               (release)
 *   pending-payment --cancel---> cancelled             (release)
 *   payment-failed | expired | cancelled --capture--> paid (stock re-reserved and committed)
 *                                                 or paid-out-of-stock (surfaces for a refund)
 *   paid | paid-out-of-stock: terminal for payment events (a late `payment.failed` is ignored).
 */
export const ORDER_STATUSES = ['pending-payment', 'paid', 'payment-failed', 'expired', 'cancelled', 'paid-out-of-stock'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type PaymentSignal = 'capture' | 'failure' | 'other';

export type Transition =
  | { kind: 'commit'; to: 'paid' }
  | { kind: 'release'; to: 'payment-failed' | 'expired' | 'cancelled' }
  /** Stock was given back earlier: take it again, or record that we were paid for stock we no longer have. */
  | { kind: 're-reserve'; to: 'paid'; otherwise: 'paid-out-of-stock' }
  | { kind: 'none'; reason: string };

export function signalOf(event: string): PaymentSignal {
  if (event === 'payment.captured' || event === 'order.paid') return 'capture';
  if (event === 'payment.failed') return 'failure';
  return 'other';
}

export function isPaid(status: OrderStatus): boolean {
  return status === 'paid' || status === 'paid-out-of-stock';
}

export function onPayment(status: OrderStatus, signal: PaymentSignal): Transition {
  if (signal === 'other') return { kind: 'none', reason: 'ignored' };
  if (isPaid(status)) return { kind: 'none', reason: 'already-paid' };
  if (signal === 'capture') {
    return status === 'pending-payment' ? { kind: 'commit', to: 'paid' } : { kind: 're-reserve', to: 'paid', otherwise: 'paid-out-of-stock' };
  }
  // failure: only an order still waiting for money gives its stock back; anything else is late news.
  return status === 'pending-payment' ? { kind: 'release', to: 'payment-failed' } : { kind: 'none', reason: `already-${status}` };
}

export function onExpiry(status: OrderStatus): Transition {
  return status === 'pending-payment' ? { kind: 'release', to: 'expired' } : { kind: 'none', reason: `already-${status}` };
}

export function onCancel(status: OrderStatus): Transition {
  return status === 'pending-payment' ? { kind: 'release', to: 'cancelled' } : { kind: 'none', reason: `already-${status}` };
}
