import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Before the expiry sweep releases an unpaid storefront order it asks Razorpay about the order's
 * payments, outside any transaction. `payment_check_after` is when the sweep may look at the order
 * again: set when a worker claims it (so no other worker asks at the same time) and when Razorpay
 * could not be asked (retry later, within a bounded extra hold). The sweep's index follows the
 * moment an order is next due, so orders waiting on an unreachable Razorpay are not rescanned.
 */
export class OrdersPaymentCheck1764600000300 implements MigrationInterface {
  name = 'OrdersPaymentCheck1764600000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN payment_check_after timestamptz`);
    await q.query(`CREATE INDEX orders_sweep_due_idx ON orders ((COALESCE(payment_check_after, reservation_expires_at))) WHERE status = 'pending-payment'`);
    await q.query(`DROP INDEX orders_expiry_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX orders_expiry_idx ON orders (reservation_expires_at) WHERE status = 'pending-payment'`);
    await q.query(`DROP INDEX orders_sweep_due_idx`);
    await q.query(`ALTER TABLE orders DROP COLUMN payment_check_after`);
  }
}
