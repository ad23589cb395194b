import { MigrationInterface, QueryRunner } from 'typeorm';

export class PaymentsRazorpayEvents1764600000000 implements MigrationInterface {
  name = 'PaymentsRazorpayEvents1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // The primary key on the event id is what makes each event take effect once.
    await q.query(`
      CREATE TABLE razorpay_events (
        event_id             text PRIMARY KEY,
        event                text NOT NULL,
        razorpay_order_id    text,
        razorpay_payment_id  text,
        amount               bigint,
        -- The exact signed bytes (text, not jsonb: nothing to re-parse, and the signature can be re-checked).
        raw_body             text NOT NULL,
        outcome              text,
        received_at          timestamptz NOT NULL DEFAULT now(),
        processed_at         timestamptz
      )`);
    await q.query(`CREATE INDEX razorpay_events_order_idx ON razorpay_events (razorpay_order_id, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE razorpay_events`);
  }
}
