import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { CoreConfig } from '../config/core.config';
import { HEARTBEAT_MAX_AGE_MS, heartbeatKey, SYSTEM_QUEUE } from '../queue/queue-names';
import { REDIS } from '../redis/redis.tokens';

@Injectable()
export class HubHealthIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly cfg: CoreConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectQueue(SYSTEM_QUEUE) private readonly systemQueue: Queue,
  ) {}

  redisPing() {
    return this.health
      .check('redis')
      .attempt(async () => {
        await this.redis.ping();
      })
      .withTimeout(1000);
  }

  /** BullMQ's own connection (separate from ours) can reach Redis and read a queue. */
  queues() {
    return this.health
      .check('queues')
      .attempt(async () => {
        const counts = await this.systemQueue.getJobCounts('waiting', 'active', 'failed');
        return { system: counts };
      })
      .withTimeout(1500);
  }

  /** A worker processed a heartbeat job recently: jobs are actually flowing. */
  async workerHeartbeat() {
    const session = this.health.check('worker');
    const raw = await this.redis.get(heartbeatKey(this.cfg.REDIS_PREFIX)).catch(() => null);
    if (!raw) return session.down({ message: 'no worker heartbeat seen; is `npm run start:worker` running?' });
    const [at, instance] = raw.split('|');
    const ageMs = Date.now() - Number(at);
    return ageMs <= HEARTBEAT_MAX_AGE_MS
      ? session.up({ lastHeartbeatAgeMs: ageMs, instance })
      : session.down({ message: `last worker heartbeat ${Math.round(ageMs / 1000)}s ago`, lastHeartbeatAgeMs: ageMs });
  }
}
