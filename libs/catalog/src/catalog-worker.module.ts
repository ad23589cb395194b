import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { provideConfig } from '@hub/core';
import { ChannelsModule } from '@hub/channels';
import { MediaModule } from '@hub/media';
import { CatalogConfig } from './catalog.config';
import { CATALOG_MAINTENANCE_QUEUE, CATALOG_PUBLISH_QUEUE } from './constants';
import { PendingSweeper } from './publish/pending-sweeper.service';
import { PublishProcessor } from './publish/publish.processor';
import { CatalogMaintenanceProcessor } from './reviews/catalog-maintenance.processor';
import { CatalogSchedules } from './reviews/catalog-schedules.service';
import { ReviewPuller } from './reviews/review-pull.service';

/** Worker side: publish/delist jobs, review pulls and the pending sweep. */
@Module({
  imports: [ChannelsModule, MediaModule, BullModule.registerQueue({ name: CATALOG_PUBLISH_QUEUE }, { name: CATALOG_MAINTENANCE_QUEUE })],
  providers: [provideConfig(CatalogConfig), PublishProcessor, ReviewPuller, PendingSweeper, CatalogMaintenanceProcessor, CatalogSchedules],
  exports: [ReviewPuller, PendingSweeper],
})
export class CatalogWorkerModule {}
