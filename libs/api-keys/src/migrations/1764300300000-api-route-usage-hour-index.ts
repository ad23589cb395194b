import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention purge deletes by `hour` alone; api_key_usage_hourly has an index on it already,
 * the per-route table only its (route, hour) primary key, which a range on `hour` cannot use.
 */
export class ApiRouteUsageHourIndex1764300300000 implements MigrationInterface {
  name = 'ApiRouteUsageHourIndex1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX api_route_usage_hourly_hour_idx ON api_route_usage_hourly (hour)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_route_usage_hourly_hour_idx`);
  }
}
