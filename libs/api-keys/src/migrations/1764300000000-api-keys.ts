import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeys1764300000000 implements MigrationInterface {
  name = 'ApiKeys1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        key_id          text PRIMARY KEY CHECK (key_id ~ '^[0-9A-Za-z]{12}$'),
        environment     text NOT NULL CHECK (environment IN ('live', 'test')),
        name            text NOT NULL,
        application     text,
        metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
        scopes          text[] NOT NULL,
        channels        text[],
        tier            text NOT NULL,
        -- Per-key overrides of the tier's limits; NULL = the tier's defaults.
        limits          jsonb,
        allowed_cidrs   text[],
        -- HMAC-SHA256(pepper v<pepper_version>, secret): never the secret itself, never the pepper.
        secret_hash     bytea NOT NULL,
        pepper_version  integer NOT NULL,
        secret_start    text NOT NULL,
        expires_at      timestamptz,
        revoked_at      timestamptz,
        revoked_reason  text,
        revoked_by      text,
        rotated_to      text,
        rotated_from    text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        created_by      text,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        last_used_at    timestamptz,
        request_count   bigint NOT NULL DEFAULT 0,
        error_4xx_count bigint NOT NULL DEFAULT 0,
        error_5xx_count bigint NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX api_keys_created_idx ON api_keys (created_at DESC, key_id DESC)`);
    // Written once a second by each api instance's usage flusher (one upsert per key and hour).
    await q.query(`
      CREATE TABLE api_key_usage_hourly (
        key_id          text NOT NULL,
        hour            timestamptz NOT NULL,
        requests        bigint NOT NULL DEFAULT 0,
        errors_4xx      bigint NOT NULL DEFAULT 0,
        errors_5xx      bigint NOT NULL DEFAULT 0,
        latency_ms_sum  double precision NOT NULL DEFAULT 0,
        latency_ms_max  double precision NOT NULL DEFAULT 0,
        PRIMARY KEY (key_id, hour)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key_usage_hourly`);
    await q.query(`DROP TABLE api_keys`);
  }
}
