import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

export type ReservationStatus = 'active' | 'committed' | 'released';

/** Stock held for one order line; `reserved` on the item is the sum of the active ones. */
@Entity('inventory_reservations')
@Unique(['orderId', 'lineId'])
export class InventoryReservationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId: string;

  @Column({ name: 'line_id', type: 'text' })
  lineId: string;

  @Column({ type: 'text' })
  sku: string;

  @Column({ type: 'text' })
  channel: string;

  @Column({ type: 'integer' })
  quantity: number;

  @Column({ type: 'text' })
  status: ReservationStatus;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
