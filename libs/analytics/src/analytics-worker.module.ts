import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { AlertsModule } from '@hub/alerts';
import { ApiKeysCoreModule } from '@hub/api-keys';
import { AnalyticsConfig } from './analytics.config';
import { KeyAlertsEvaluator } from './alerts/key-alerts.evaluator';
import { KeyHealthService } from './key-health/key-health.service';

/** Worker side: the key alerts (zombie, silent, anomaly, quota-near, error rate), reconciled by the alerts job. */
@Module({
  imports: [AlertsModule, ApiKeysCoreModule],
  providers: [provideConfig(AnalyticsConfig), KeyHealthService, KeyAlertsEvaluator],
})
export class AnalyticsWorkerModule {}
