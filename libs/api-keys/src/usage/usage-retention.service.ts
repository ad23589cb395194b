import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { deleteInBatches } from '@hub/core';
import { DataSource } from 'typeorm';

/** Rows removed by one purge, per table. */
export interface UsagePurged {
  keyHours: number;
  routeHours: number;
}

/**
 * Hourly usage rows (per key and per route) are written for every hour a key or route is called,
 * so without a horizon the tables grow for ever: 5,000 busy keys add 44 million key-hours a year.
 * The worker's `purge-usage` job calls this with USAGE_RETENTION_DAYS.
 */
@Injectable()
export class UsageRetentionService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Deletes the hours that started more than `days` days ago, in batches so that no statement holds
   * its locks for long next to the api's once-a-second usage upserts (which only touch the current
   * hour, so they never wait on these rows).
   */
  async purgeOlderThan(days: number, batch = 5000): Promise<UsagePurged> {
    const before = new Date(Date.now() - days * 86_400_000);
    return {
      keyHours: await this.purge('api_key_usage_hourly', before, batch),
      routeHours: await this.purge('api_route_usage_hourly', before, batch),
    };
  }

  /** `table` is one of this file's two names, never input. */
  private purge(table: 'api_key_usage_hourly' | 'api_route_usage_hourly', before: Date, batch: number): Promise<number> {
    return deleteInBatches(this.ds, `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE hour < $1 LIMIT $2)`, [before, batch], batch);
  }
}
