import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CoreConfig, REDIS } from '@hub/core';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

const HEARTBEAT_MS = 1000;
const STALE_MS = 3500;

/**
 * Counts the api instances sharing this Redis (a heartbeat in a sorted set, refreshed off the
 * request path). The in-process burst limiter gives each instance 1/N of a key's burst so that
 * together they admit no more than the key's limit.
 */
@Injectable()
export class InstanceRegistryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyInstances');
  readonly instanceId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly key: string;
  private timer: NodeJS.Timeout | null = null;
  /** Live instances including this one (>= 1). */
  count = 1;

  constructor(@Inject(REDIS) private readonly redis: Redis, core: CoreConfig) {
    this.key = `${core.REDIS_PREFIX}:api-keys:instances`;
  }

  async onModuleInit(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    try {
      const res = await this.redis
        .multi()
        .zadd(this.key, now, this.instanceId)
        .zremrangebyscore(this.key, '-inf', now - STALE_MS)
        .zcard(this.key)
        .pexpire(this.key, STALE_MS * 4)
        .exec();
      const n = Number(res?.[2]?.[1] ?? 1);
      this.count = Math.max(1, n);
    } catch (err) {
      // Keep the last known count: failing to see the others must not open every key wide.
      this.logger.warn({ err }, 'instance heartbeat failed');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.redis.zrem(this.key, this.instanceId).catch(() => undefined);
  }
}
