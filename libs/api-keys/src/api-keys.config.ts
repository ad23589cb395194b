import { IsInt, Max, Min } from 'class-validator';

/** Tunables of the key verification path; defaults suit production. */
export class ApiKeysConfig {
  /** Failed authentications (valid-looking key, wrong secret or unknown keyId) allowed per client address per minute. */
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  AUTH_FAILURES_PER_MINUTE = 30;

  /** How long a verified key record is served from memory before it is re-read (pub/sub evicts sooner). */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  API_KEY_CACHE_TTL_MS = 60_000;

  /** Most key records kept in memory per instance. */
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  API_KEY_CACHE_MAX = 100_000;

  /** How long an unknown keyId is remembered as unknown (a storm of one made-up keyId costs one query). */
  @IsInt()
  @Min(0)
  @Max(60_000)
  API_KEY_NEGATIVE_CACHE_MS = 5_000;

  /** How often usage counters and lastUsedAt are written to Postgres. */
  @IsInt()
  @Min(50)
  @Max(1000)
  API_KEY_USAGE_FLUSH_MS = 1000;

  /**
   * How often each key's totals and lastUsedAt are written to its record (the hourly rollup behind
   * /usage is written every API_KEY_USAGE_FLUSH_MS); rarer writes keep Postgres out of the way of
   * busy instances.
   */
  @IsInt()
  @Min(50)
  @Max(300_000)
  API_KEY_LAST_USED_FLUSH_MS = 10_000;
}
