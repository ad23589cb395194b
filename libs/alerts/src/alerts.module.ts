import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { AlertsConfig } from './alerts.config';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';
import { ALERTS_QUEUE } from './constants';

/** Alert storage, the HTTP routes and raising alerts from any process (delivery runs in the worker). */
@Global()
@Module({
  imports: [BullModule.registerQueue({ name: ALERTS_QUEUE })],
  controllers: [AlertsController],
  providers: [provideConfig(AlertsConfig), AlertsService],
  exports: [AlertsService, AlertsConfig, BullModule],
})
export class AlertsModule {}
