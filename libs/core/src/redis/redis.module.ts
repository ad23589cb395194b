import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CoreConfig } from '../config/core.config';
import { logConnectionErrors } from './connection-errors';
import { assertNoEviction } from './redis-eviction';
import { REDIS, REDIS_SUBSCRIBER } from './redis.tokens';

export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    // Fail commands fast while disconnected instead of queueing them forever.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  redis.on('ready', logConnectionErrors(redis, new Logger(`Redis ${name}`), 'Redis'));
  return redis;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [CoreConfig],
      useFactory: async (cfg: CoreConfig) => {
        const redis = createRedis(cfg.REDIS_URL, `${cfg.REDIS_PREFIX}:cmd`);
        try {
          await assertNoEviction(redis);
        } catch (err) {
          redis.disconnect();
          throw err;
        }
        return redis;
      },
    },
    {
      provide: REDIS_SUBSCRIBER,
      inject: [CoreConfig],
      useFactory: (cfg: CoreConfig) => createRedis(cfg.REDIS_URL, `${cfg.REDIS_PREFIX}:sub`),
    },
  ],
  exports: [REDIS, REDIS_SUBSCRIBER],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.redis.quit(), this.subscriber.quit()]);
  }
}
