import { Module } from '@nestjs/common';
import { InventorySharedModule } from './inventory-shared.module';
import { CHANNEL_SYNC_PROCESSORS, InventoryMaintenanceProcessor } from './sync/inventory-sync.processor';
import { Reconciler } from './sync/reconciler.service';
import { SyncDelivery } from './sync/sync-delivery.service';
import { InventorySyncSchedules } from './sync/sync-schedules.service';

/**
 * Worker side: the sync processor (coalesced pushes to every channel adapter under core's
 * CHANNEL_ADAPTERS), reconciliation, the outbox relay and ChannelSyncControl.
 */
@Module({
  imports: [InventorySharedModule],
  providers: [SyncDelivery, Reconciler, ...CHANNEL_SYNC_PROCESSORS, InventoryMaintenanceProcessor, InventorySyncSchedules],
  exports: [InventorySharedModule, Reconciler, SyncDelivery],
})
export class InventoryWorkerModule {}
