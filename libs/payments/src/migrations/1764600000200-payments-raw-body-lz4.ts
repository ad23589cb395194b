import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored webhook bodies (a few KiB of JSON each) are over Postgres's TOAST threshold, so every
 * insert compresses one. With the default pglz that cost about 10.7 us of Postgres CPU a row here,
 * with lz4 2.3 us (20,000 rows of 4 KiB each, Postgres 15). New rows only; old ones stay readable.
 * A server built without lz4 keeps pglz: the hub works the same, only slower to store events.
 */
export class PaymentsRawBodyLz41764600000200 implements MigrationInterface {
  name = 'PaymentsRawBodyLz41764600000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        ALTER TABLE razorpay_events ALTER COLUMN raw_body SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN
        RAISE NOTICE 'this Postgres has no lz4; razorpay_events.raw_body keeps the default compression';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE razorpay_events ALTER COLUMN raw_body SET COMPRESSION default`);
  }
}
