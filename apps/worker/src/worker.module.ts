import { Module } from '@nestjs/common';
import { CoreModule, EnvPartnerCredentialsModule } from '@hub/core';
import { SystemSchedules } from './system/system-schedules.service';
import { SystemProcessor } from './system/system.processor';

@Module({
  imports: [CoreModule, EnvPartnerCredentialsModule],
  providers: [SystemProcessor, SystemSchedules],
})
export class WorkerModule {}
