import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelSyncControl, provideConfig } from '@hub/core';
import { INVENTORY_MAINTENANCE_QUEUE, SYNC_QUEUES } from './constants';
import { INVENTORY_ENTITIES } from './entities';
import { InventoryConfig } from './inventory.config';
import { InventoryService } from './inventory.service';
import { InventorySyncControl } from './sync/inventory-sync-control.service';
import { OutboxRelay } from './sync/outbox-relay.service';
import { OutboxSignal } from './sync/outbox-signal.service';
import { SyncEnqueuer } from './sync/sync-enqueuer.service';

/**
 * What both processes need: the service, the outbox relay and the pause switch. Imported by
 * InventoryModule and InventoryWorkerModule; Nest builds it once per process even if both are used.
 * Global so other libs (catalog, orders, vault) can inject InventoryService and ChannelSyncControl
 * without importing this lib's module into theirs.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature(INVENTORY_ENTITIES), BullModule.registerQueue(...[...SYNC_QUEUES, INVENTORY_MAINTENANCE_QUEUE].map((name) => ({ name })))],
  providers: [
    provideConfig(InventoryConfig),
    InventoryService,
    OutboxSignal,
    SyncEnqueuer,
    OutboxRelay,
    InventorySyncControl,
    { provide: ChannelSyncControl, useExisting: InventorySyncControl },
  ],
  exports: [InventoryConfig, InventoryService, SyncEnqueuer, OutboxRelay, InventorySyncControl, ChannelSyncControl, BullModule],
})
export class InventorySharedModule {}
