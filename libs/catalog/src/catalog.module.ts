import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { ChannelsModule } from '@hub/channels';
import { MediaModule } from '@hub/media';
import { CatalogConfig } from './catalog.config';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { CatalogImportCommand } from './cli/catalog-import.command';
import { CATALOG_MAINTENANCE_QUEUE, CATALOG_PUBLISH_QUEUE } from './constants';

/**
 * API side (and CLI): the /v1/products routes and CatalogService. Needs InventoryService (the
 * inventory lib's global module) and PartnerCredentials (vault or env) from the app.
 */
@Module({
  imports: [ChannelsModule, MediaModule, BullModule.registerQueue({ name: CATALOG_PUBLISH_QUEUE }, { name: CATALOG_MAINTENANCE_QUEUE })],
  controllers: [CatalogController],
  providers: [provideConfig(CatalogConfig), CatalogService, CatalogImportCommand],
  exports: [CatalogService, CatalogConfig],
})
export class CatalogModule {}
