import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { AuditService } from '@hub/core';
import { AUDIT, UsagePurged, UsageRetentionService } from '@hub/api-keys';
import type { Job } from 'bullmq';
import { AnalyticsConfig } from '../analytics.config';
import { ANALYTICS_QUEUE, PURGE_AUDIT_JOB, PURGE_USAGE_JOB } from '../constants';

/** Audit events removed by one purge: authentication failures, and every other action. */
export interface AuditPurged {
  authFailures: number;
  events: number;
}

const DAY_MS = 86_400_000;
const AUTH_FAILURES: readonly string[] = [AUDIT.authFailed];

/**
 * Runs the retention purges of usage and of the audit trail; several worker instances may run them
 * at once (the deletes are idempotent).
 */
@Processor(ANALYTICS_QUEUE)
export class RetentionProcessor extends WorkerHost {
  private readonly logger = new Logger(RetentionProcessor.name);

  constructor(
    private readonly usage: UsageRetentionService,
    private readonly audit: AuditService,
    private readonly cfg: AnalyticsConfig,
  ) {
    super();
  }

  async process(job: Job): Promise<UsagePurged | AuditPurged | null> {
    if (job.name === PURGE_USAGE_JOB) return this.purgeUsage();
    if (job.name === PURGE_AUDIT_JOB) return this.purgeAudit();
    this.logger.warn({ job: job.name }, 'unknown analytics job');
    return null;
  }

  private async purgeUsage(): Promise<UsagePurged> {
    const purged = await this.usage.purgeOlderThan(this.cfg.USAGE_RETENTION_DAYS);
    if (purged.keyHours || purged.routeHours) this.logger.log({ ...purged, retentionDays: this.cfg.USAGE_RETENTION_DAYS }, 'purged usage past its retention');
    return purged;
  }

  private async purgeAudit(): Promise<AuditPurged> {
    const now = Date.now();
    const { AUDIT_RETENTION_DAYS: days, AUDIT_AUTH_FAILURE_RETENTION_DAYS: failureDays } = this.cfg;
    const purged = {
      authFailures: await this.audit.purgeBefore(new Date(now - failureDays * DAY_MS), { actions: AUTH_FAILURES }),
      events: await this.audit.purgeBefore(new Date(now - days * DAY_MS), { exceptActions: AUTH_FAILURES }),
    };
    if (purged.authFailures || purged.events) this.logger.log({ ...purged, retentionDays: days, authFailureRetentionDays: failureDays }, 'purged audit events past their retention');
    return purged;
  }
}
