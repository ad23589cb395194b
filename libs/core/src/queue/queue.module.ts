import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CoreConfig } from '../config/core.config';
import { QueueErrorLogging } from './queue-error-logging';
import { redisOptionsFromUrl } from './redis-connection';
import { SYSTEM_QUEUE } from './queue-names';

/**
 * BullMQ root: one connection config and key prefix for every queue. Libs register their own
 * queues with BullModule.registerQueue({ name }) and keep the names in their own constants.
 */
@Global()
@Module({
  imports: [
    DiscoveryModule,
    BullModule.forRootAsync({
      inject: [CoreConfig],
      useFactory: (cfg: CoreConfig) => ({
        connection: redisOptionsFromUrl(cfg.REDIS_URL),
        prefix: `${cfg.REDIS_PREFIX}:bull`,
        defaultJobOptions: { removeOnComplete: { count: 1000, age: 3600 }, removeOnFail: { count: 5000, age: 7 * 24 * 3600 } },
      }),
    }),
    BullModule.registerQueue({ name: SYSTEM_QUEUE }),
  ],
  providers: [QueueErrorLogging],
  exports: [BullModule],
})
export class QueueModule {}
