import { Channel, CHANNEL_ADAPTERS, ChannelAdapter } from '@hub/core';
import { Inject, Injectable } from '@nestjs/common';

/** Looks up the adapter of a channel among those enabled by HUB_CHANNELS. */
@Injectable()
export class ChannelRegistry {
  private readonly byChannel: Map<Channel, ChannelAdapter>;

  constructor(@Inject(CHANNEL_ADAPTERS) adapters: ChannelAdapter[]) {
    this.byChannel = new Map(adapters.map((a) => [a.channel, a]));
  }

  get(channel: Channel): ChannelAdapter {
    const a = this.byChannel.get(channel);
    if (!a) throw new Error(`channel ${channel} is not enabled (HUB_CHANNELS)`);
    return a;
  }

  has(channel: Channel): boolean {
    return this.byChannel.has(channel);
  }

  /** Enabled channels in a stable order. */
  channels(): Channel[] {
    return [...this.byChannel.keys()];
  }

  all(): ChannelAdapter[] {
    return [...this.byChannel.values()];
  }
}
