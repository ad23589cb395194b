import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { AlertsModule } from '@hub/alerts';
import { ApiKeysCoreModule } from '@hub/api-keys';
import { AnalyticsConfig } from './analytics.config';
import { KeyAlertsEvaluator } from './alerts/key-alerts.evaluator';
import { ANALYTICS_QUEUE } from './constants';
import { KeyHealthService } from './key-health/key-health.service';
import { RetentionProcessor } from './retention/retention.processor';
import { RetentionSchedules } from './retention/retention.schedules';

/**
 * Worker side: the key alerts (zombie, silent, anomaly, quota-near, error rate), reconciled by the
 * alerts job, and the hourly purges of usage and audit events past their retention.
 */
@Module({
  imports: [AlertsModule, ApiKeysCoreModule, BullModule.registerQueue({ name: ANALYTICS_QUEUE })],
  providers: [provideConfig(AnalyticsConfig), KeyHealthService, KeyAlertsEvaluator, RetentionProcessor, RetentionSchedules],
})
export class AnalyticsWorkerModule {}
