import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import {
  CoreModule,
  createValidationPipe,
  HealthModule,
  MetricsController,
  ProblemDetailsFilter,
} from '@hub/core';
import { AlertsModule } from '@hub/alerts';
import { VaultModule } from '@hub/vault';
import { InventoryModule } from '@hub/inventory';
import { CatalogModule } from '@hub/catalog';
import { ApiKeyGuard, ApiKeysModule } from '@hub/api-keys';
import { OrdersModule } from '@hub/orders';
import { AnalyticsModule } from '@hub/analytics';
import { DashboardController } from './dashboard/dashboard.controller';

@Module({
  imports: [CoreModule, VaultModule, AlertsModule, HealthModule, ApiKeysModule, InventoryModule, CatalogModule, OrdersModule, AnalyticsModule],
  controllers: [MetricsController, DashboardController],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Deny by default: a route is reachable only if it is @Public or a valid API key holds its scope.
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
  ],
})
export class ApiModule {}
