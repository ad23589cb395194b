import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage rows are counters: every flush (once a second) adds to the current hour's row of every key
 * that was called. At fill factor 100 a full page forces each update to write a new index entry
 * too; with room left on the page the update stays on it (HOT) and the primary key is not
 * touched. Measured on a 5,000-key flush: 70 ms of Postgres time per flush before, 48-55 ms after,
 * with every update HOT instead of 4%. Pages written from now on keep the room.
 */
export class ApiKeyUsageFillfactor1764300100000 implements MigrationInterface {
  name = 'ApiKeyUsageFillfactor1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key_usage_hourly SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key_usage_hourly RESET (fillfactor)`);
  }
}
