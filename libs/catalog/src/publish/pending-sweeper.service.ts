import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { CatalogConfig } from '../catalog.config';
import { CATALOG_PUBLISH_QUEUE } from '../constants';
import { PublishJobData, longestCredentialWaitMs, publishJob, publishJobId } from './publish-jobs';

/**
 * Jobs are enqueued after the product transaction commits; if Redis was unreachable at that
 * moment the row stays `pending` with no job. This re-enqueues such rows (same job id and the
 * listing's deduplication id, so a job that does exist, for this or an older version, is not
 * duplicated: it reads the newest wanted state when it runs).
 * `paused` rows too: their job waits in Redis until the credential works again, and nothing else
 * would publish them after the channel resumes if that job was lost (Redis flushed, say). A job
 * still waiting absorbs the new one through the shared deduplication id. A live paused job touches
 * its row only when it runs, up to longestCredentialWaitMs apart, so paused rows get that much more
 * time before they count as lost (else every sweep would recheck them and crowd out lost pending rows).
 */
@Injectable()
export class PendingSweeper {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @InjectQueue(CATALOG_PUBLISH_QUEUE) private readonly queue: Queue,
    private readonly cfg: CatalogConfig,
  ) {}

  async sweep(olderThanMs = 120_000): Promise<number> {
    const pausedOlderThanMs = olderThanMs + longestCredentialWaitMs(this.cfg);
    const rows: { sku: string; channel: PublishJobData['channel']; wanted_version: number; delisting: boolean }[] = await this.ds.query(
      `SELECT sku, channel, wanted_version, delisting FROM product_channels
        WHERE (status = 'pending' AND updated_at < now() - make_interval(secs => $1))
           OR (status = 'paused' AND updated_at < now() - make_interval(secs => $2))
        ORDER BY updated_at LIMIT 500`,
      [olderThanMs / 1000, pausedOlderThanMs / 1000],
    );
    let added = 0;
    for (const r of rows) {
      const id = publishJobId(r.delisting, r.channel, r.sku, r.wanted_version);
      // One round trip per row: 'unknown' means no such job, anything but finished means it is still live.
      const state = await this.queue.getJobState(id);
      if (state !== 'unknown' && state !== 'completed' && state !== 'failed') continue;
      // A finished job with this id still pending means its outcome was lost: start it again.
      if (state !== 'unknown') await this.queue.remove(id);
      const job = publishJob(this.cfg, r.sku, r.channel, r.wanted_version, r.delisting);
      await this.queue.add(job.name, job.data, job.opts);
      added++;
    }
    return added;
  }
}
