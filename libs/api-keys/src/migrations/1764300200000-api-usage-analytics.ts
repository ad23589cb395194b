import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What GET /v1/analytics/* reads beyond the counters: a latency histogram per (key, hour) and per
 * (route, hour) (fixed log-scale buckets, see usage/latency-histogram.ts; stored without trailing
 * zeros), the distinct (User-Agent, X-Client-Version) pairs of a key's hour (at most 10), and an
 * index on the hour for the alert evaluations that look at the last hours of every key.
 */
export class ApiUsageAnalytics1764300200000 implements MigrationInterface {
  name = 'ApiUsageAnalytics1764300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_key_usage_hourly
        ADD COLUMN latency_hist bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN clients jsonb NOT NULL DEFAULT '[]'::jsonb`);
    // The hour never changes once a row exists, so the counter updates stay HOT with this index too.
    await q.query(`CREATE INDEX api_key_usage_hourly_hour_idx ON api_key_usage_hourly (hour)`);
    await q.query(`
      CREATE TABLE api_route_usage_hourly (
        route           text NOT NULL,
        hour            timestamptz NOT NULL,
        requests        bigint NOT NULL DEFAULT 0,
        errors_4xx      bigint NOT NULL DEFAULT 0,
        errors_5xx      bigint NOT NULL DEFAULT 0,
        latency_ms_sum  double precision NOT NULL DEFAULT 0,
        latency_ms_max  double precision NOT NULL DEFAULT 0,
        latency_hist    bigint[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (route, hour)
      ) WITH (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_route_usage_hourly`);
    await q.query(`DROP INDEX api_key_usage_hourly_hour_idx`);
    await q.query(`ALTER TABLE api_key_usage_hourly DROP COLUMN clients, DROP COLUMN latency_hist`);
  }
}
