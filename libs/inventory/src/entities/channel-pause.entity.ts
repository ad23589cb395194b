import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A paused channel (credential rejected): its pushes are held, not dropped, until resume. */
@Entity('inventory_channel_pauses')
export class ChannelPauseEntity {
  @PrimaryColumn({ type: 'text' })
  channel: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'timestamptz' })
  since: Date;
}
