import { Module } from '@nestjs/common';
import { CoreModule } from '@hub/core';
import { AlertsWorkerModule } from '@hub/alerts';
import { VaultWorkerModule } from '@hub/vault';
import { InventoryWorkerModule } from '@hub/inventory';
import { CatalogWorkerModule } from '@hub/catalog';
import { OrdersWorkerModule } from '@hub/orders';
import { SystemSchedules } from './system/system-schedules.service';
import { SystemProcessor } from './system/system.processor';

@Module({
  imports: [CoreModule, VaultWorkerModule, AlertsWorkerModule, InventoryWorkerModule, CatalogWorkerModule, OrdersWorkerModule],
  providers: [SystemProcessor, SystemSchedules],
})
export class WorkerModule {}
