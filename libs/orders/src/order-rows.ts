import { Channel, notFound } from '@hub/core';
import type { EntityManager } from 'typeorm';
import type { OrderView } from './dto/order.view';
import { fromMinorUnits } from './money';
import type { OrderStatus } from './order-status';

export interface OrderRow {
  id: string;
  channel: Channel;
  external_id: string | null;
  status: OrderStatus;
  status_reason: string | null;
  currency: string;
  amount_minor: string;
  razorpay_order_id: string | null;
  razorpay_payment_id: string | null;
  customer: Record<string, string> | null;
  actor_key_id: string | null;
  reservation_expires_at: Date | null;
  reservation_round: number;
  /** Not swept again before this (a worker is asking Razorpay, or Razorpay could not be asked). */
  payment_check_after: Date | null;
  paid_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface LineRow {
  line_no: number;
  line_id: string;
  sku: string;
  quantity: number;
  unit_price: string;
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** Reads shared by the order service and the lifecycle (one place for the row -> view mapping). */
export async function linesOf(m: EntityManager, ids: string[]): Promise<Map<string, LineRow[]>> {
  const out = new Map<string, LineRow[]>();
  if (!ids.length) return out;
  const rows: (LineRow & { order_id: string })[] = await m.query(
    `SELECT order_id, line_no, line_id, sku, quantity, unit_price FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, line_no`,
    [ids],
  );
  for (const r of rows) out.set(r.order_id, [...(out.get(r.order_id) ?? []), r]);
  return out;
}

export async function lockOrder(m: EntityManager, id: string): Promise<OrderRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await m.query(`SELECT * FROM orders WHERE id = $1 FOR UPDATE`, [id]);
  return row ?? null;
}

export async function readOrderView(m: EntityManager, id: string): Promise<OrderView> {
  if (!isUuid(id)) throw notFound(`Order ${id}`);
  const [row]: OrderRow[] = await m.query(`SELECT * FROM orders WHERE id = $1`, [id]);
  if (!row) throw notFound(`Order ${id}`);
  // The row's own id: Postgres matches a uuid in any case, the lines' map is keyed by its canonical text.
  return toView(row, (await linesOf(m, [row.id])).get(row.id) ?? []);
}

export function toView(r: OrderRow, lines: LineRow[]): OrderView {
  const amountMinor = Number(r.amount_minor);
  const reservation: OrderView['reservation'] =
    r.status === 'pending-payment'
      ? { status: 'held', expiresAt: r.reservation_expires_at?.toISOString() ?? null }
      : { status: r.status === 'paid' ? 'committed' : 'released', expiresAt: null };
  return {
    id: r.id,
    channel: r.channel,
    externalId: r.external_id,
    status: r.status,
    statusReason: r.status_reason,
    currency: r.currency,
    amount: fromMinorUnits(amountMinor),
    amountMinor,
    items: lines.map((l) => ({ lineId: l.line_id, sku: l.sku, quantity: l.quantity, unitPrice: l.unit_price })),
    reservation,
    razorpay: r.razorpay_order_id ? { orderId: r.razorpay_order_id, amount: amountMinor, currency: r.currency, paymentId: r.razorpay_payment_id } : null,
    customer: r.customer,
    paidAt: r.paid_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
