import { MigrationInterface, QueryRunner } from 'typeorm';

export class Alerts1764700100000 implements MigrationInterface {
  name = 'Alerts1764700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id               bigserial PRIMARY KEY,
        kind             text NOT NULL,
        subject          text NOT NULL,
        severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        message          text NOT NULL,
        details          jsonb NOT NULL DEFAULT '{}'::jsonb,
        opened_at        timestamptz NOT NULL DEFAULT now(),
        last_seen_at     timestamptz NOT NULL DEFAULT now(),
        acknowledged_at  timestamptz,
        acknowledged_by  text,
        resolved_at      timestamptz
      )`);
    // One open alert per kind and subject, whichever instance notices the condition first.
    await q.query(`CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (kind, subject) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX alerts_recent_idx ON alerts (opened_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alerts`);
  }
}
