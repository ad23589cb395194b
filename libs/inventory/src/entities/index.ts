import { ChannelPauseEntity } from './channel-pause.entity';
import { ChannelRuleEntity } from './channel-rule.entity';
import { ChannelSyncEntity } from './channel-sync.entity';
import { InventoryItemEntity } from './inventory-item.entity';
import { InventoryMovementEntity } from './inventory-movement.entity';
import { InventoryOutboxEntity } from './inventory-outbox.entity';
import { InventoryReservationEntity } from './inventory-reservation.entity';

export const INVENTORY_ENTITIES = [
  InventoryItemEntity,
  InventoryMovementEntity,
  InventoryReservationEntity,
  InventoryOutboxEntity,
  ChannelRuleEntity,
  ChannelSyncEntity,
  ChannelPauseEntity,
];
export { ChannelPauseEntity, ChannelRuleEntity, ChannelSyncEntity, InventoryItemEntity, InventoryMovementEntity, InventoryOutboxEntity, InventoryReservationEntity };
