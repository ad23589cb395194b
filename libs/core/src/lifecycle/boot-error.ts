import { ConfigValidationError } from '../config/config.loader';
import { RedisEvictionPolicyError } from '../redis/redis-eviction';
import { scrubText } from '../logging/redact';

/** Turns a failure during boot into one message an operator can act on (naming the variable). */
export function describeBootError(err: unknown): string {
  if (err instanceof ConfigValidationError || err instanceof RedisEvictionPolicyError) return err.message;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  const msg = scrubText(String(e?.message ?? err));
  const pgCodes: Record<string, string> = {
    '3D000': 'the database does not exist (run `npm run db:migrate`, which creates it)',
    '28P01': 'authentication failed',
    '28000': 'authentication failed',
  };
  if (e?.code && pgCodes[e.code]) return `Cannot connect to Postgres at DATABASE_URL: ${pgCodes[e.code]} (${msg})`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|getaddrinfo|connect/.test(msg) || e?.code === 'ECONNREFUSED') {
    if (/6379|redis/i.test(msg) || /max retries per request/i.test(msg)) {
      return `Cannot reach Redis at REDIS_URL: ${msg}. Is Redis running? (docker compose up -d)`;
    }
    return `Cannot connect to Postgres at DATABASE_URL: ${msg}. Is Postgres running? (docker compose up -d)`;
  }
  if (/max retries per request|Connection is closed/i.test(msg)) {
    return `Cannot reach Redis at REDIS_URL: ${msg}. Is Redis running? (docker compose up -d)`;
  }
  return `Boot failed: ${msg}`;
}
