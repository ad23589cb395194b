import { storableText } from '@hub/core';
import type { EntityManager } from 'typeorm';
import type { RazorpayPayment } from '../razorpay/razorpay-gateway.service';

/** Prefix of the event ids the hub gives captures it found by asking Razorpay (never a Razorpay event id). */
export const RECONCILED_EVENT_PREFIX = 'reconciled.';

/**
 * Prefix of the id a signed delivery is stored under when its `x-razorpay-event-id` is missing or
 * unusable; the rest is the SHA-256 of its body, so redeliveries of the same bytes are stored once.
 */
export const UNIDENTIFIED_EVENT_PREFIX = 'unidentified.';

/** Outcome of a signed delivery that is no usable event: stored and acknowledged, never applied. */
export const MALFORMED_OUTCOME = 'malformed';


/** A verified Razorpay webhook, reduced to what effects need (the full payload is stored too). */
export interface RazorpayEvent {
  /** `x-razorpay-event-id`: identical on every redelivery of the same event. */
  id: string;
  /** e.g. `payment.captured`, `order.paid`, `payment.failed`, `payment.authorized`. */
  event: string;
  /** Razorpay order id (`order_...`) the event concerns, when it concerns one. */
  razorpayOrderId: string | null;
  razorpayPaymentId: string | null;
  /** Amount in paise carried by the payment (or order) entity; null when absent or invalid. */
  amount: number | null;
  /**
   * The entity carried an amount that is not a whole, non-negative number of paise within 2^53
   * (100.5, 1e21, a string...). `amount` is then null: such a value is no amount we can compare or
   * store (Postgres refuses it as a bigint), and a capture carrying it must not pay an order.
   */
  amountInvalid: boolean;
  currency: string | null;
  /** Razorpay's own event time (epoch seconds). */
  createdAt: number | null;
  payload: Record<string, unknown>;
  /** The exact signed body, kept so a stored event can be re-verified later. */
  rawBody: string;
  /**
   * `reconciliation`: not delivered by Razorpay but built from its API's answer (the payment
   * entity), when the expiry sweep asked about an order whose webhook never came. Absent: a webhook.
   */
  source?: 'reconciliation';
}

/**
 * What applies the effects of new events (each id seen for the first time), in arrival order. It
 * runs inside the transaction that also stores their event rows, so an effect and "this event id
 * was seen" commit together or not at all. Returns one short outcome word per event, kept on its
 * row (e.g. `order-paid`, `already-paid`, `ignored`).
 */
export type RazorpayEventEffect = (manager: EntityManager, events: RazorpayEvent[]) => Promise<string[]>;

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Paise are whole numbers; past 2^53 a JSON number is no longer exact (past 2^63 not even a bigint). */
const paise = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : null);
const present = (v: unknown) => v !== undefined && v !== null;

/** Reads Razorpay's envelope (`{entity:"event", event, payload:{payment:{entity}, order:{entity}}, created_at}`). */
export function parseRazorpayEvent(id: string, body: unknown, rawBody: string): RazorpayEvent | { error: string } {
  const env = obj(body);
  if (!env) return { error: 'body must be a JSON object' };
  const event = str(env.event);
  if (!event) return { error: 'event must be a non-empty string' };
  const payload = obj(env.payload);
  if (!payload) return { error: 'payload must be an object' };
  const payment = obj(obj(payload.payment)?.entity);
  const order = obj(obj(payload.order)?.entity);
  // The first amount present decides: a bad payment amount must not fall back to the order's.
  const rawAmount = [payment?.amount, order?.amount_paid, order?.amount].find(present);
  const amount = paise(rawAmount);
  const razorpayOrderId = str(payment?.order_id) ?? str(order?.id);
  const razorpayPaymentId = str(payment?.id);
  const currency = str(payment?.currency) ?? str(order?.currency);
  // Such a value could be neither stored nor looked up: every delivery would fail in Postgres as a
  // 500, and Razorpay would redeliver the same body for days.
  for (const [field, v] of [['event', event], ['order id', razorpayOrderId], ['payment id', razorpayPaymentId], ['currency', currency]] as const) {
    if (v !== null && !storableText(v)) return { error: `${field} must not contain NUL or a lone UTF-16 surrogate` };
  }
  return {
    id,
    event,
    razorpayOrderId,
    razorpayPaymentId,
    amount,
    amountInvalid: present(rawAmount) && amount === null,
    currency,
    createdAt: num(env.created_at),
    payload: env,
    rawBody,
  };
}

/**
 * A captured payment read from Razorpay's API, as the `payment.captured` event it would have sent.
 * Its id is derived from the payment id, so asking twice about one payment stores one event; the
 * webhook's own events for it carry other ids and find the order already paid.
 */
export function reconciledCaptureEvent(payment: RazorpayPayment): RazorpayEvent {
  const envelope = { entity: 'event', event: 'payment.captured', source: 'reconciliation', contains: ['payment'], payload: { payment: { entity: payment } }, created_at: Math.floor(Date.now() / 1000) };
  const rawBody = JSON.stringify(envelope);
  const parsed = parseRazorpayEvent(`${RECONCILED_EVENT_PREFIX}${payment.id}`, envelope, rawBody);
  if ('error' in parsed) throw new Error(`cannot read Razorpay payment ${payment.id}: ${parsed.error}`);
  return { ...parsed, source: 'reconciliation' };
}

/**
 * Optional fast path: reads (no lock, no transaction) and returns one outcome per event when none
 * of them can change anything, or null when at least one may. It may only answer "no-op" for
 * decisions no concurrent change can overturn (e.g. an event for an order in a terminal state).
 */
export type RazorpayEventPlanner = (events: RazorpayEvent[]) => Promise<string[] | null>;

/**
 * Optional: told, after the transaction that applied `events` has committed, the outcome of each.
 * Lets the effect's owner remember facts that are now durable (e.g. an order is paid).
 */
export type RazorpayEventsCommitted = (events: RazorpayEvent[], outcomes: string[]) => void;
