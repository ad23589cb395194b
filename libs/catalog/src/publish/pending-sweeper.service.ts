import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import type { PublishJobData } from '../catalog.service';
import { CatalogConfig } from '../catalog.config';
import { CATALOG_PUBLISH_QUEUE, DELIST_JOB, PUBLISH_JOB } from '../constants';

/**
 * Jobs are enqueued after the product transaction commits; if Redis was unreachable at that
 * moment the row stays `pending` with no job. This re-enqueues such rows (same job id, so a job
 * that does exist is not duplicated).
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
        WHERE status = 'pending' AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT 500`,
      [olderThanMs / 1000],
    );
    let added = 0;
    for (const r of rows) {
      const name = r.delisting ? DELIST_JOB : PUBLISH_JOB;
      const id = `${r.delisting ? 'delist' : 'publish'}-${r.channel}-${r.sku}-${r.wanted_version}`;
      const existing = await this.queue.getJob(id);
      if (existing && !(await existing.isCompleted()) && !(await existing.isFailed())) continue;
      // A finished job with this id still pending means its outcome was lost: start it again.
      if (existing) await existing.remove();
      await this.queue.add(name, { sku: r.sku, channel: r.channel, version: r.wanted_version } satisfies PublishJobData, {
        jobId: id,
        attempts: this.cfg.CATALOG_PUBLISH_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.cfg.CATALOG_PUBLISH_BACKOFF_MS, jitter: 0.5 },
      });
      added++;
    }
    return added;
  }
}
