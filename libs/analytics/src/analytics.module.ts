import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { ApiKeysModule } from '@hub/api-keys';
import { AnalyticsConfig } from './analytics.config';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsService } from './analytics.service';
import { KeyHealthService } from './key-health/key-health.service';

/** The api side: GET /v1/analytics/keys, /usage and /endpoints over the usage the api-keys lib records. */
@Module({
  imports: [ApiKeysModule],
  controllers: [AnalyticsController],
  providers: [provideConfig(AnalyticsConfig), KeyHealthService, AnalyticsService],
})
export class AnalyticsModule {}
