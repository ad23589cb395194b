import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CATALOG_MAINTENANCE_QUEUE, PULL_REVIEWS_JOB, SWEEP_PENDING_JOB } from '../constants';
import { PendingSweeper } from '../publish/pending-sweeper.service';
import { ReviewPuller } from './review-pull.service';

@Processor(CATALOG_MAINTENANCE_QUEUE)
export class CatalogMaintenanceProcessor extends WorkerHost {
  private readonly logger = new Logger('CatalogMaintenance');

  constructor(
    private readonly reviews: ReviewPuller,
    private readonly sweeper: PendingSweeper,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case PULL_REVIEWS_JOB:
        return this.reviews.pullAll();
      case SWEEP_PENDING_JOB:
        return this.sweeper.sweep();
      default:
        this.logger.warn({ job: job.name }, 'unknown catalog maintenance job');
        return null;
    }
  }
}
