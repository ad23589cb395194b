import { Module } from '@nestjs/common';
import { InventorySharedModule } from './inventory-shared.module';
import { InventorySyncProcessor } from './sync/inventory-sync.processor';
import { Reconciler } from './sync/reconciler.service';
import { SyncDelivery } from './sync/sync-delivery.service';
import { InventorySyncSchedules } from './sync/sync-schedules.service';

/**
 * Worker side: the sync processor (coalesced pushes to every channel adapter under core's
 * CHANNEL_ADAPTERS), reconciliation, the outbox relay and ChannelSyncControl.
 */
@Module({
  imports: [InventorySharedModule],
  providers: [SyncDelivery, Reconciler, InventorySyncProcessor, InventorySyncSchedules],
  exports: [InventorySharedModule, Reconciler, SyncDelivery],
})
export class InventoryWorkerModule {}
