import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { CatalogConfig } from '../catalog.config';
import { CATALOG_PUBLISH_QUEUE } from '../constants';
import { PublishJobData, publishJob, publishJobId } from './publish-jobs';

/**
 * Jobs are enqueued after the product transaction commits; if Redis was unreachable at that
 * moment the row stays `pending` with no job. This re-enqueues such rows (same job id and the
 * listing's deduplication id, so a job that does exist, for this or an older version, is not
 * duplicated: it reads the newest wanted state when it runs).
 * `paused` rows too: their job waits in Redis until the credential works again, and nothing else
 * would publish them after the channel resumes if that job was lost (Redis flushed, say). A job
 * still waiting absorbs the new one through the shared deduplication id.
 */
@Injectable()
export class PendingSweeper {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @InjectQueue(CATALOG_PUBLISH_QUEUE) private readonly queue: Queue,
    private readonly cfg: CatalogConfig,
  ) {}

  async sweep(olderThanMs = 120_000): Promise<number> {
    const rows: { sku: string; channel: PublishJobData['channel']; wanted_version: number; delisting: boolean }[] = await this.ds.query(
      `SELECT sku, channel, wanted_version, delisting FROM product_channels
        WHERE status IN ('pending', 'paused') AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT 500`,
      [olderThanMs / 1000],
    );
    let added = 0;
    for (const r of rows) {
      const id = publishJobId(r.delisting, r.channel, r.sku, r.wanted_version);
      const existing = await this.queue.getJob(id);
      if (existing && !(await existing.isCompleted()) && !(await existing.isFailed())) continue;
      // A finished job with this id still pending means its outcome was lost: start it again.
      if (existing) await existing.remove();
      const job = publishJob(this.cfg, r.sku, r.channel, r.wanted_version, r.delisting);
      await this.queue.add(job.name, job.data, job.opts);
      added++;
    }
    return added;
  }
}
