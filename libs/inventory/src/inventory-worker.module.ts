import { Module } from '@nestjs/common';
import { InventorySharedModule } from './inventory-shared.module';
import { CHANNEL_SYNC_PROCESSORS, InventoryMaintenanceProcessor } from './sync/inventory-sync.processor';
import { Reconciler } from './sync/reconciler.service';
import { SyncDelivery } from './sync/sync-delivery.service';
import { InventorySyncSchedules } from './sync/sync-schedules.service';
import { SyncQueueMetrics } from './sync/sync-queue-metrics';

/**
 * Worker side: the sync processor (coalesced pushes to every channel adapter under core's
 * CHANNEL_ADAPTERS), reconciliation, the outbox relay, ChannelSyncControl and backlog gauges.
 */
@Module({
  imports: [InventorySharedModule],
  providers: [SyncDelivery, Reconciler, ...CHANNEL_SYNC_PROCESSORS, InventoryMaintenanceProcessor, InventorySyncSchedules, SyncQueueMetrics],
  exports: [InventorySharedModule, Reconciler, SyncDelivery],
})
export class InventoryWorkerModule {}
