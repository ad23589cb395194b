import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { UsagePurged, UsageRetentionService } from '@hub/api-keys';
import type { Job } from 'bullmq';
import { AnalyticsConfig } from '../analytics.config';
import { ANALYTICS_QUEUE, PURGE_USAGE_JOB } from '../constants';

/** Runs the usage retention purge; several worker instances may run it at once (deletes are idempotent). */
@Processor(ANALYTICS_QUEUE)
export class UsagePurgeProcessor extends WorkerHost {
  private readonly logger = new Logger(UsagePurgeProcessor.name);

  constructor(
    private readonly retention: UsageRetentionService,
    private readonly cfg: AnalyticsConfig,
  ) {
    super();
  }

  async process(job: Job): Promise<UsagePurged | null> {
    if (job.name !== PURGE_USAGE_JOB) {
      this.logger.warn({ job: job.name }, 'unknown analytics job');
      return null;
    }
    const purged = await this.retention.purgeOlderThan(this.cfg.USAGE_RETENTION_DAYS);
    if (purged.keyHours || purged.routeHours) this.logger.log({ ...purged, retentionDays: this.cfg.USAGE_RETENTION_DAYS }, 'purged usage past its retention');
    return purged;
  }
}
