import { Inject, Injectable } from '@nestjs/common';
import { CoreConfig, REDIS } from '@hub/core';
import type { Redis } from 'ioredis';
import type { QuotaLimit } from '../constants';
import { quotaKeyPrefix, quotaPeriod } from './quota-period';

/** A key's quota in its current period, as the limiter counts it. */
export interface QuotaUsage {
  limit: number;
  period: QuotaLimit['period'];
  periodId: string;
  periodStart: string;
  resetsAt: string;
  /** Units taken from the period's Redis counter (what the limiter enforces; see QuotaLeaseService). */
  used: number;
}

/**
 * Reads the authoritative quota counters (Redis, one MGET for many keys), in any process: the
 * worker's alert evaluation as well as the api. The counter holds the units leased out to api
 * instances, so it can run ahead of the requests served by what those instances hold unspent.
 */
@Injectable()
export class QuotaUsageService {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    core: CoreConfig,
  ) {
    this.prefix = quotaKeyPrefix(core.REDIS_PREFIX);
  }

  async read(keys: { keyId: string; quota: QuotaLimit | null }[], now = Date.now()): Promise<Map<string, QuotaUsage>> {
    const out = new Map<string, QuotaUsage>();
    const limited = keys.filter((k): k is { keyId: string; quota: QuotaLimit } => k.quota !== null);
    if (!limited.length) return out;
    const periods = limited.map((k) => quotaPeriod(k.quota.period, now));
    const values = await this.redis.mget(limited.map((k, i) => this.prefix + k.keyId + ':' + periods[i].id));
    limited.forEach((k, i) => {
      const p = periods[i];
      out.set(k.keyId, {
        limit: k.quota.limit,
        period: k.quota.period,
        periodId: p.id,
        periodStart: new Date(p.endsAt - p.seconds * 1000).toISOString(),
        resetsAt: new Date(p.endsAt).toISOString(),
        used: Number(values[i] ?? 0),
      });
    });
    return out;
  }
}
