import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type SyncState = 'pending' | 'synced' | 'retrying' | 'failed' | 'paused';

/** Sync state of one SKU on one channel; exists only for SKUs published there. */
@Entity('inventory_channel_sync')
export class ChannelSyncEntity {
  @PrimaryColumn({ type: 'text' })
  channel: string;

  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ type: 'text' })
  state: SyncState;

  @Column({ name: 'wanted_version', type: 'bigint' })
  wantedVersion: string;

  @Column({ name: 'synced_version', type: 'bigint' })
  syncedVersion: string;

  @Column({ name: 'last_pushed_quantity', type: 'integer', nullable: true })
  lastPushedQuantity: number | null;

  @Column({ name: 'last_confirmed_quantity', type: 'integer', nullable: true })
  lastConfirmedQuantity: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_synced_at', type: 'timestamptz', nullable: true })
  lastSyncedAt: Date | null;

  @Column({ name: 'dirty_since', type: 'timestamptz', nullable: true })
  dirtySince: Date | null;

  @Column({ name: 'push_count', type: 'bigint', default: 0 })
  pushCount: string;

  /** Pushes the channel refused outright since it last confirmed one; sets how long a failed row waits. */
  @Column({ name: 'refused_pushes', type: 'integer', default: 0 })
  refusedPushes: number;

  /** When the sweep may push a failed row again. */
  @Column({ name: 'retry_at', type: 'timestamptz', nullable: true })
  retryAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
