import { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1764600000100 implements MigrationInterface {
  name = 'Orders1764600000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id                      uuid PRIMARY KEY,
        channel                 text NOT NULL CHECK (channel IN ('amazon', 'nykaa', 'storefront')),
        external_id             text,
        status                  text NOT NULL CHECK (status IN ('pending-payment', 'paid', 'payment-failed', 'expired', 'cancelled', 'paid-out-of-stock')),
        status_reason           text,
        currency                text NOT NULL,
        amount_minor            bigint NOT NULL CHECK (amount_minor >= 0),
        razorpay_order_id       text UNIQUE,
        razorpay_payment_id     text,
        customer                jsonb,
        actor_key_id            text,
        reservation_expires_at  timestamptz,
        -- Each re-reservation after a release needs fresh line ids (inventory keys reservations by order and line).
        reservation_round       integer NOT NULL DEFAULT 0,
        paid_at                 timestamptz,
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX orders_channel_external_idx ON orders (channel, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`CREATE INDEX orders_expiry_idx ON orders (reservation_expires_at) WHERE status = 'pending-payment'`);
    await q.query(`CREATE INDEX orders_status_idx ON orders (status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE order_lines (
        order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        line_no     integer NOT NULL,
        line_id     text NOT NULL UNIQUE,
        sku         text NOT NULL,
        quantity    integer NOT NULL CHECK (quantity > 0),
        unit_price  numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
        PRIMARY KEY (order_id, line_no)
      )`);
    await q.query(`CREATE INDEX order_lines_sku_idx ON order_lines (sku)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_lines`);
    await q.query(`DROP TABLE orders`);
  }
}
