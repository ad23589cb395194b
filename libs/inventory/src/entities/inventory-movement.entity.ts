import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MovementKind = 'set' | 'adjustment' | 'reservation' | 'commit' | 'release' | 'sale';

/** The append-only ledger: every stock change, who made it and why. */
@Entity('inventory_movements')
export class InventoryMovementEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  sku: string;

  @Column({ type: 'text' })
  kind: MovementKind;

  @Column({ name: 'on_hand_delta', type: 'integer' })
  onHandDelta: number;

  @Column({ name: 'reserved_delta', type: 'integer' })
  reservedDelta: number;

  @Column({ name: 'on_hand_after', type: 'integer' })
  onHandAfter: number;

  @Column({ name: 'reserved_after', type: 'integer' })
  reservedAfter: number;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'actor_key_id', type: 'text', nullable: true })
  actorKeyId: string | null;

  @Column({ name: 'order_id', type: 'text', nullable: true })
  orderId: string | null;

  @Column({ name: 'order_line_id', type: 'text', nullable: true })
  orderLineId: string | null;

  @Column({ type: 'text', nullable: true })
  channel: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
