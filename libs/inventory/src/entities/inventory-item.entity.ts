import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One stock row per SKU. Writes go through InventoryService's guarded SQL, never entity saves. */
@Entity('inventory_items')
export class InventoryItemEntity {
  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ name: 'on_hand', type: 'integer' })
  onHand: number;

  @Column({ type: 'integer', default: 0 })
  reserved: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
