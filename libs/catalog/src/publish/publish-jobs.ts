import type { Channel } from '@hub/core';
import type { JobsOptions } from 'bullmq';
import type { CatalogConfig } from '../catalog.config';
import { DELIST_JOB, PUBLISH_JOB, publishDedupId } from '../constants';

export interface PublishJobData {
  sku: string;
  channel: Channel;
  /** The version that asked for this job; the job itself acts on the latest wanted_version. */
  version: number;
  /** How many 429s this job has waited out (bounded, so a broken partner cannot hold it forever). */
  rateLimitHits?: number;
  /** How many times a partner refused our credential during this job (sets how long it waits). */
  credentialRefusals?: number;
}

/**
 * A refused credential is retried after CATALOG_PAUSED_RECHECK_MS, doubling per refusal up to this
 * many times that: Cloudinary has no channel to pause, so its refusals reach the partner each time.
 */
export const MAX_CREDENTIAL_WAIT_FACTOR = 10;

/** The longest a publish job waits between two tries while its credential is refused (before jitter, which only shortens it). */
export const longestCredentialWaitMs = (cfg: CatalogConfig) => cfg.CATALOG_PAUSED_RECHECK_MS * MAX_CREDENTIAL_WAIT_FACTOR;

export const publishJobId = (delist: boolean, channel: Channel, sku: string, version: number) => `${delist ? 'delist' : 'publish'}-${channel}-${sku}-${version}`;

/**
 * One publish/delist job for (sku, channel). The shared deduplication id folds it into a job of the
 * same listing that is still waiting or delayed (that job reads the newest wanted state when it
 * runs); `keepLastIfActive` queues exactly one follow-up when one is running, so two jobs of one
 * listing never run at once and a change that lands mid-publish is still published after it.
 */
export function publishJob(cfg: CatalogConfig, sku: string, channel: Channel, version: number, delist: boolean) {
  const opts: JobsOptions = {
    jobId: publishJobId(delist, channel, sku, version),
    deduplication: { id: publishDedupId(channel, sku), keepLastIfActive: true },
    attempts: cfg.CATALOG_PUBLISH_ATTEMPTS,
    backoff: { type: 'exponential', delay: cfg.CATALOG_PUBLISH_BACKOFF_MS, jitter: 0.5 },
  };
  return { name: delist ? DELIST_JOB : PUBLISH_JOB, data: { sku, channel, version } satisfies PublishJobData, opts };
}
