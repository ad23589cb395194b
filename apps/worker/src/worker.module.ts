import { Module } from '@nestjs/common';
import { CoreModule, provideConfig } from '@hub/core';
import { AlertsWorkerModule } from '@hub/alerts';
import { VaultWorkerModule } from '@hub/vault';
import { InventoryWorkerModule } from '@hub/inventory';
import { CatalogWorkerModule } from '@hub/catalog';
import { OrdersWorkerModule } from '@hub/orders';
import { AnalyticsWorkerModule } from '@hub/analytics';
import { SystemSchedules } from './system/system-schedules.service';
import { SystemProcessor } from './system/system.processor';
import { WorkerMetricsServer } from './metrics/worker-metrics.server';
import { WorkerConfig } from './worker.config';

@Module({
  imports: [CoreModule, VaultWorkerModule, AlertsWorkerModule, InventoryWorkerModule, CatalogWorkerModule, OrdersWorkerModule, AnalyticsWorkerModule],
  providers: [provideConfig(WorkerConfig), SystemProcessor, SystemSchedules, WorkerMetricsServer],
})
export class WorkerModule {}
