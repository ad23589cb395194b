import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service';
import { CoreConfig } from './config/core.config';
import { provideConfig } from './config/provide-config';
import { DatabaseModule } from './database/database.module';
import { IdempotencyService } from './idempotency/idempotency.service';
import { HubLoggerModule } from './logging/logger.module';
import { MetricsService } from './metrics/metrics.service';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';

/** What every Nest process of the hub (api, worker, cli) stands on. */
@Global()
@Module({
  imports: [HubLoggerModule, DatabaseModule, RedisModule, QueueModule],
  providers: [provideConfig(CoreConfig), MetricsService, AuditService, IdempotencyService],
  exports: [CoreConfig, MetricsService, AuditService, IdempotencyService, RedisModule, QueueModule],
})
export class CoreModule {}
