import { MigrationInterface, QueryRunner } from 'typeorm';

export class AlertWebhookOutbox1764700300000 implements MigrationInterface {
  name = 'AlertWebhookOutbox1764700300000';

  async up(q: QueryRunner): Promise<void> {
    // The webhook owed for an alert lives in the alert row, written with it: a Redis failure right
    // after the insert only delays the delivery (the redelivery job finds it), never loses it.
    await q.query(`
      ALTER TABLE alerts
        ADD COLUMN escalations          integer NOT NULL DEFAULT 0,
        ADD COLUMN webhook_event_id     text,
        ADD COLUMN webhook_type         text,
        ADD COLUMN webhook_event_at     timestamptz,
        ADD COLUMN webhook_delivered_at timestamptz`);
    await q.query(
      `CREATE INDEX alerts_webhook_undelivered_idx ON alerts (webhook_event_at) WHERE webhook_event_id IS NOT NULL AND webhook_delivered_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX alerts_webhook_undelivered_idx`);
    await q.query(`ALTER TABLE alerts DROP COLUMN escalations, DROP COLUMN webhook_event_id, DROP COLUMN webhook_type, DROP COLUMN webhook_event_at, DROP COLUMN webhook_delivered_at`);
  }
}
