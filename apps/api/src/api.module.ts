import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import {
  CoreModule,
  createValidationPipe,
  DenyByDefaultGuard,
  EnvPartnerCredentialsModule,
  HealthModule,
  MetricsController,
  ProblemDetailsFilter,
} from '@hub/core';
import { InventoryModule } from '@hub/inventory';

@Module({
  imports: [CoreModule, EnvPartnerCredentialsModule, HealthModule, InventoryModule],
  controllers: [MetricsController],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Deny by default: a route is reachable only if it is @Public or its scope is granted.
    { provide: APP_GUARD, useClass: DenyByDefaultGuard },
  ],
})
export class ApiModule {}
