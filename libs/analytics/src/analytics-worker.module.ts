import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { AlertsModule } from '@hub/alerts';
import { ApiKeysCoreModule } from '@hub/api-keys';
import { AnalyticsConfig } from './analytics.config';
import { KeyAlertsEvaluator } from './alerts/key-alerts.evaluator';
import { ANALYTICS_QUEUE } from './constants';
import { KeyHealthService } from './key-health/key-health.service';
import { UsagePurgeProcessor } from './retention/usage-purge.processor';
import { UsagePurgeSchedules } from './retention/usage-purge.schedules';

/**
 * Worker side: the key alerts (zombie, silent, anomaly, quota-near, error rate), reconciled by the
 * alerts job, and the hourly purge of usage past USAGE_RETENTION_DAYS.
 */
@Module({
  imports: [AlertsModule, ApiKeysCoreModule, BullModule.registerQueue({ name: ANALYTICS_QUEUE })],
  providers: [provideConfig(AnalyticsConfig), KeyHealthService, KeyAlertsEvaluator, UsagePurgeProcessor, UsagePurgeSchedules],
})
export class AnalyticsWorkerModule {}
