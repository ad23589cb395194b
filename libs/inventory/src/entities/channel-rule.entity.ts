import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Allocation rule for one channel (ChannelEngine's model). A channel without a row gets the defaults. */
@Entity('inventory_channel_rules')
export class ChannelRuleEntity {
  @PrimaryColumn({ type: 'text' })
  channel: string;

  @Column({ name: 'safety_buffer', type: 'integer', default: 0 })
  safetyBuffer: number;

  @Column({ name: 'max_quantity', type: 'integer', nullable: true })
  maxQuantity: number | null;

  @Column({ type: 'integer', default: 100 })
  percentage: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
