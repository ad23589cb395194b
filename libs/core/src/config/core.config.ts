import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { EXAMPLE_SECRETS, IsCidrList, IsUrlWithProtocol, IsVersionedKeyList, NotPublicInProduction } from './validators';
import { Sensitive } from './config.loader';

/**
 * Configuration shared by every process. Feature libs declare their own config classes
 * the same way and load them with `provideConfig`. Defaults work on a developer machine
 * where Postgres and Redis listen on 127.0.0.1; secrets have no defaults.
 */
export class CoreConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsUrlWithProtocol(['postgres:', 'postgresql:'])
  @Sensitive()
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/novaskin_hub';

  @IsUrlWithProtocol(['redis:', 'rediss:'])
  @Sensitive()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Namespace for every Redis key and BullMQ queue, so several hubs can share a Redis. */
  @IsString()
  @MinLength(1)
  REDIS_PREFIX = 'hub';

  /** Vault key-encryption keys, `v1:<base64 32 bytes>,v2:...`; the highest version encrypts. */
  @IsVersionedKeyList(32)
  @NotPublicInProduction(EXAMPLE_SECRETS)
  @Sensitive()
  HUB_MASTER_KEYS: string;

  /** HMAC pepper for API key secrets: `v1:<secret>` (or several, comma-separated; the highest hashes new keys). */
  @IsString()
  @MinLength(16)
  @NotPublicInProduction(EXAMPLE_SECRETS)
  @Sensitive()
  API_KEY_PEPPER: string;

  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  @IsInt()
  @Min(1)
  @Max(65535)
  SANDBOX_PORT = 4010;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Log one line per HTTP request (off trims the hot path for benchmarks). */
  @IsIn(['true', 'false'])
  LOG_REQUESTS = 'true';

  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Peers whose X-Forwarded-For is believed (CIDRs). Empty: trust the socket only. */
  @IsCidrList()
  TRUSTED_PROXIES = '';

  /**
   * How long SIGTERM waits for in-flight requests and jobs before giving up. Longer than a partner
   * call (PARTNER_TIMEOUT_MS, 10 s) plus a wait for a rate-limit token, so a publish job under way
   * finishes instead of being cut off and retried; shorter than Kubernetes' default 30 s.
   */
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS = 25_000;

  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  ALERT_WEBHOOK_URL?: string;

  @IsOptional()
  @IsString()
  @Sensitive()
  ALERT_WEBHOOK_SECRET?: string;

  /**
   * How long an Idempotency-Key is remembered (Stripe keeps them 24 h). A retry after that is a
   * new request.
   */
  @IsInt()
  @Min(1)
  @Max(24 * 90)
  IDEMPOTENCY_RETENTION_HOURS = 24;

  /** A name for this process in logs, metrics and heartbeats (defaults to host:pid). */
  @IsOptional()
  @IsString()
  INSTANCE_ID?: string;
}
