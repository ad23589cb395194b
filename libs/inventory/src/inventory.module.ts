import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { INVENTORY_SYNC_QUEUE } from './constants';
import { INVENTORY_ENTITIES } from './entities';
import { InventoryService } from './inventory.service';

/** API side: the stock service other libs call, the HTTP routes and the outbox relay (producer). */
@Module({
  imports: [TypeOrmModule.forFeature(INVENTORY_ENTITIES), BullModule.registerQueue({ name: INVENTORY_SYNC_QUEUE })],
  providers: [InventoryService],
  exports: [InventoryService],
})
export class InventoryModule {}
