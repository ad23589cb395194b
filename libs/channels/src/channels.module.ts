import { Channel, CHANNEL_ADAPTERS, ChannelAdapter, PartnerCredentials, provideConfig } from '@hub/core';
import { Global, Module } from '@nestjs/common';
import { AmazonAdapter } from './amazon/amazon.adapter';
import { ChannelRegistry } from './channel-registry.service';
import { ChannelsConfig } from './channels.config';
import { NykaaAdapter } from './nykaa/nykaa.adapter';
import { StorefrontAdapter } from './storefront/storefront.adapter';

export function enabledChannels(cfg: ChannelsConfig): Channel[] {
  return [...new Set(cfg.HUB_CHANNELS.split(',').map((c) => c.trim()).filter(Boolean))] as Channel[];
}

/**
 * The channel adapters, one per channel, under core's CHANNEL_ADAPTERS token. Global because
 * several libs (catalog, inventory, vault) talk to channels and must share one Amazon adapter
 * per process: its token bucket and LWA token cache only work if there is a single instance.
 */
@Global()
@Module({
  providers: [
    provideConfig(ChannelsConfig),
    StorefrontAdapter,
    { provide: AmazonAdapter, inject: [ChannelsConfig, PartnerCredentials], useFactory: (cfg: ChannelsConfig, pc: PartnerCredentials) => new AmazonAdapter(cfg, pc) },
    { provide: NykaaAdapter, inject: [ChannelsConfig, PartnerCredentials], useFactory: (cfg: ChannelsConfig, pc: PartnerCredentials) => new NykaaAdapter(cfg, pc) },
    {
      provide: CHANNEL_ADAPTERS,
      inject: [ChannelsConfig, AmazonAdapter, NykaaAdapter, StorefrontAdapter],
      useFactory: (cfg: ChannelsConfig, ...adapters: ChannelAdapter[]): ChannelAdapter[] => {
        const enabled = enabledChannels(cfg);
        return adapters.filter((a) => enabled.includes(a.channel));
      },
    },
    ChannelRegistry,
  ],
  exports: [CHANNEL_ADAPTERS, ChannelRegistry, ChannelsConfig, AmazonAdapter, NykaaAdapter, StorefrontAdapter],
})
export class ChannelsModule {}
