import { Module } from '@nestjs/common';
import { InventoryController } from './inventory.controller';
import { InventorySharedModule } from './inventory-shared.module';

/**
 * API side: InventoryService (for catalog and orders), the /v1/inventory routes, the outbox relay
 * and ChannelSyncControl (the vault pauses and resumes channels from the api process).
 */
@Module({
  imports: [InventorySharedModule],
  controllers: [InventoryController],
  exports: [InventorySharedModule],
})
export class InventoryModule {}
