import type { Redis } from 'ioredis';

export class RedisEvictionPolicyError extends Error {
  constructor(policy: string) {
    super(
      `Redis maxmemory-policy is "${policy}", but the hub needs "noeviction": with any other policy Redis may ` +
        'silently drop BullMQ jobs and rate-limit state under memory pressure. Fix: run ' +
        '`redis-cli CONFIG SET maxmemory-policy noeviction` (and set `maxmemory-policy noeviction` in redis.conf), ' +
        'or start Redis with `--maxmemory-policy noeviction` (docker-compose.yml does).',
    );
    this.name = 'RedisEvictionPolicyError';
  }
}

/** Reads the policy from INFO (works where CONFIG is disabled, as on managed Redis). */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const info = await redis.info('memory');
  const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
  if (policy !== 'noeviction') throw new RedisEvictionPolicyError(policy);
}
