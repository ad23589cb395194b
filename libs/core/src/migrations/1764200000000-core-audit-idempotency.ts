import { MigrationInterface, QueryRunner } from 'typeorm';

export class CoreAuditIdempotency1764200000000 implements MigrationInterface {
  name = 'CoreAuditIdempotency1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id            bigserial PRIMARY KEY,
        occurred_at   timestamptz NOT NULL DEFAULT now(),
        last_at       timestamptz NOT NULL DEFAULT now(),
        action        text NOT NULL,
        actor_key_id  text,
        subject_type  text,
        subject_id    text,
        request_id    text,
        ip            text,
        details       jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- Aggregated events (auth failures) share a bucket and count repeats instead of adding rows.
        bucket        text UNIQUE,
        count         integer NOT NULL DEFAULT 1 CHECK (count >= 1)
      )`);
    await q.query(`CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_subject_idx ON audit_events (subject_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at DESC)`);
    await q.query(`
      CREATE TABLE idempotency_records (
        actor         text NOT NULL,
        scope         text NOT NULL,
        key           text NOT NULL,
        request_hash  text NOT NULL,
        status_code   integer,
        response      jsonb,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (actor, scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_records_created_idx ON idempotency_records (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_records`);
    await q.query(`DROP TABLE audit_events`);
  }
}
