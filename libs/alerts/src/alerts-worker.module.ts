import { Module } from '@nestjs/common';
import { ApiKeysCoreModule } from '@hub/api-keys';
import { AlertsModule } from './alerts.module';
import { AlertsProcessor } from './alerts.processor';
import { AlertsSchedules } from './alerts-schedules.service';
import { BuiltinAlertEvaluators } from './evaluators/builtin-evaluators';

/** Worker side: webhook delivery with retries, the repeatable evaluation and its built-in sources. */
@Module({
  imports: [AlertsModule, ApiKeysCoreModule],
  providers: [AlertsProcessor, AlertsSchedules, BuiltinAlertEvaluators],
})
export class AlertsWorkerModule {}
