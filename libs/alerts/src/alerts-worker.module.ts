import { Module } from '@nestjs/common';
import { AlertsModule } from './alerts.module';
import { AlertsProcessor } from './alerts.processor';
import { AlertsSchedules } from './alerts-schedules.service';

/** Worker side: webhook delivery with retries and the repeatable evaluation. */
@Module({
  imports: [AlertsModule],
  providers: [AlertsProcessor, AlertsSchedules],
})
export class AlertsWorkerModule {}
