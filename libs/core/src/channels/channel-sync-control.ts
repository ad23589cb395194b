import type { Channel } from '../auth/scopes';

/**
 * Pausing and resuming a channel's sync when its credential fails and is fixed. Implemented by
 * the inventory lib (which owns the sync pipeline and replays held updates on resume); called
 * by the vault when a credential is rejected, promoted or re-verified.
 */
export abstract class ChannelSyncControl {
  abstract pause(channel: Channel, reason: string): Promise<void>;
  /** Resumes and pushes every held or coalesced update for the channel. */
  abstract resume(channel: Channel): Promise<void>;
  abstract isPaused(channel: Channel): Promise<boolean>;
  abstract pausedChannels(): Promise<{ channel: Channel; reason: string; since: string }[]>;
}

/** Which channel depends on which partner credential. */
export const CHANNEL_PARTNER: Partial<Record<Channel, 'amazon' | 'nykaa'>> = { amazon: 'amazon', nykaa: 'nykaa' };
