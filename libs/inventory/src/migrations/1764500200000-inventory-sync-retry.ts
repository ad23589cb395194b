import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-row retry schedule for failed pushes. Without it the sweep re-pushed every failed row every
 * 30 s, for ever, even rows the channel refuses outright (a listing it rejected or deleted).
 */
export class InventorySyncRetry1764500200000 implements MigrationInterface {
  name = 'InventorySyncRetry1764500200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE inventory_channel_sync
        ADD COLUMN refused_pushes integer NOT NULL DEFAULT 0,
        ADD COLUMN retry_at timestamptz`);
    // Rows already failed keep the old 30 s rhythm once; their next failure gets a schedule.
    await q.query(`UPDATE inventory_channel_sync SET retry_at = updated_at + interval '30 seconds' WHERE state = 'failed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inventory_channel_sync DROP COLUMN retry_at, DROP COLUMN refused_pushes`);
  }
}
