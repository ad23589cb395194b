import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ChannelError, ChannelSyncControl, CredentialRejectedError, MissingPartnerCredentialError, ProblemException, RateLimitedError } from '@hub/core';
import { ChannelRegistry } from '@hub/channels';
import { InventoryService } from '@hub/inventory';
import { MediaService, MediaUploadError } from '@hub/media';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { CatalogConfig } from '../catalog.config';
import { CATALOG_PUBLISH_QUEUE } from '../constants';
import { MAX_CREDENTIAL_WAIT_FACTOR, type PublishJobData } from './publish-jobs';

/** What the listing should be, read when the job starts. */
interface Wanted {
  version: number;
  delist: boolean;
  /** Some version is live on the channel (a failed republish leaves it there). */
  listed: boolean;
}

/** A partner that answers 429 this many times in a row for one job is treated as broken. */
const MAX_RATE_LIMIT_WAITS = 200;

/**
 * Publishes (or delists) one product on one channel: uploads its images once (media lib), asks
 * the inventory how many units to offer there, calls the channel adapter and records the outcome
 * in product_channels. Retryable failures back off exponentially with jitter; a 429 waits exactly
 * the partner's Retry-After; a refused credential leaves the listing `paused` and the job waiting
 * until it works again; a refused listing ends the job at once.
 */
@Processor(CATALOG_PUBLISH_QUEUE)
export class PublishProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('CatalogPublish');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly media: MediaService,
    private readonly inventory: InventoryService,
    private readonly cfg: CatalogConfig,
    @Optional() private readonly syncControl?: ChannelSyncControl,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    // Most jobs wait on partners (Amazon's pace is kept by the adapter's bucket), so many may run at once.
    this.worker.concurrency = this.cfg.CATALOG_PUBLISH_CONCURRENCY;
  }

  async process(job: Job<PublishJobData>, token?: string): Promise<unknown> {
    const { sku, channel } = job.data;
    // Jobs of one (sku, channel) never run at once (shared deduplication id, see publishJob), and
    // each acts on the newest wanted state, whatever version or action it was enqueued for: a
    // delist job whose product was re-created publishes, a publish job for v1 publishes v3.
    const [pc] = await this.ds.query(
      `SELECT wanted_version, published_version, delisting, status FROM product_channels WHERE sku = $1 AND channel = $2`,
      [sku, channel],
    );
    if (!pc) return { skipped: 'nothing wanted' };
    const want: Wanted = { version: pc.wanted_version, delist: pc.delisting, listed: pc.published_version !== null };
    // A follow-up job queued while the previous one ran may find the listing already up to date.
    if (!want.delist && pc.status === 'published' && (pc.published_version ?? 0) >= want.version) return { skipped: 'up to date', version: want.version };
    if (this.syncControl && (await this.syncControl.isPaused(channel))) {
      return this.waitThenRetry(job, token, want.version, 'paused', `${channel} is paused (its credential is failing); publishing resumes when it is fixed`, this.cfg.CATALOG_PAUSED_RECHECK_MS);
    }
    try {
      return want.delist ? await this.delist(sku, channel, want.version) : await this.publish(sku, channel, want.version);
    } catch (err) {
      return this.onFailure(job, token, want, err);
    }
  }

  private async publish(sku: string, channel: PublishJobData['channel'], version: number) {
    const [p] = await this.ds.query(
      `SELECT name, description, category, price::text AS price, currency, images FROM products WHERE sku = $1 AND deleted_at IS NULL`,
      [sku],
    );
    if (!p) return { skipped: 'deleted' };
    const images: string[] = p.images;
    // Every image once (later channels and republishes reuse the upload); the first is the listing's main image.
    const assets = [];
    for (const url of images) assets.push(await this.media.ensureUploaded(sku, url));
    const imageUrl = assets[0]?.variants[channel] ?? null;
    const quantity = await this.inventory.quantityToPublish(sku, channel);
    const adapter = this.registry.get(channel);
    const result = await adapter.publishListing({
      sku,
      name: p.name,
      description: p.description,
      category: p.category,
      price: p.price,
      currency: p.currency,
      imageUrl,
      quantity,
    });
    // The listing now shows `quantity` (at most what the channel can show); if stock moved
    // meanwhile, inventory pushes the newer figure.
    await this.inventory.confirmPublished(sku, channel, Math.min(quantity, adapter.maxQuantity ?? quantity));
    await this.ds.query(
      `UPDATE product_channels SET
         status = CASE WHEN wanted_version <= $3 THEN 'published' ELSE status END,
         published_version = GREATEST(COALESCE(published_version, 0), $3),
         external_id = $4, image_url = $5, last_synced_at = now(), last_error = NULL, updated_at = now()
       WHERE sku = $1 AND channel = $2 AND NOT delisting`,
      [sku, channel, version, result.externalId, imageUrl],
    );
    return { published: channel, externalId: result.externalId, quantity, imageUrl };
  }

  private async delist(sku: string, channel: PublishJobData['channel'], version: number) {
    await this.registry.get(channel).delist(sku);
    // Stop pushing stock to a listing that no longer exists.
    await this.inventory.untrackChannel(sku, channel);
    await this.ds.query(`DELETE FROM product_channels WHERE sku = $1 AND channel = $2 AND delisting AND wanted_version <= $3`, [sku, channel, version]);
    return { delisted: channel };
  }

  private async onFailure(job: Job<PublishJobData>, token: string | undefined, want: Wanted, err: unknown): Promise<never> {
    const { sku, channel } = job.data;
    const { version } = want;
    const what = want.delist ? 'delist' : 'publish';
    const message = err instanceof Error ? err.message : String(err);

    if (err instanceof RateLimitedError) {
      const hits = (job.data.rateLimitHits ?? 0) + 1;
      if (hits <= MAX_RATE_LIMIT_WAITS) {
        // Waiting out Retry-After is not a failed attempt: move the job, do not burn a retry.
        return this.waitThenRetry(job, token, version, 'pending', `${message} (waiting, ${hits} so far)`, err.retryAfterMs, { rateLimitHits: hits });
      }
      await this.mark(sku, channel, version, 'failed', `${what} gave up: still rate limited after ${hits - 1} waits`);
      throw new UnrecoverableError(message);
    }

    if (isCredentialRejection(err)) {
      // Already reported to PartnerCredentials by the adapter (or the media service) that saw it,
      // with the exact version; the vault pauses the channel and resumes it once a working
      // credential is current. Nothing re-queues a listing on resume, so this job must outlive
      // the pause: it waits like the paused-channel check above, which it meets on its next run.
      const refusals = (job.data.credentialRefusals ?? 0) + 1;
      const wait = this.cfg.CATALOG_PAUSED_RECHECK_MS * Math.min(2 ** (refusals - 1), MAX_CREDENTIAL_WAIT_FACTOR);
      // Jitter, so the listings of a whole import refused together do not all come back at once.
      const jittered = Math.round(wait * (0.75 + Math.random() * 0.25));
      return this.waitThenRetry(job, token, version, 'paused', `${what} waits for a working credential: ${message}`, jittered, { credentialRefusals: refusals });
    }

    if (!isRetryable(err)) {
      await this.mark(sku, channel, version, 'failed', `${what} failed: ${message}`);
      // Publishing tracks the SKU for stock sync before the listing exists; pushes to a listing
      // the channel refused would only be refused too, so stop them until a publish succeeds.
      if (!want.delist && !want.listed) {
        await this.inventory.untrackChannel(sku, channel).catch((e) => this.logger.warn({ sku, channel, err: (e as Error).message }, 'could not stop stock sync for a refused listing'));
      }
      this.logger.warn({ sku, channel, err: message }, `${what} failed for good`);
      throw new UnrecoverableError(message);
    }

    const attempts = job.opts.attempts ?? 1;
    const last = job.attemptsMade + 1 >= attempts;
    await this.mark(sku, channel, version, last ? 'failed' : 'pending', last ? `${what} gave up after ${attempts} attempts: ${message}` : `${what} attempt ${job.attemptsMade + 1} of ${attempts} failed: ${message}`);
    throw err;
  }

  /**
   * Records why the listing waits, keeps `data` on the job and moves it back to delayed for `delayMs`
   * without counting a failed attempt (BullMQ needs the DelayedError thrown for that).
   */
  private async waitThenRetry(
    job: Job<PublishJobData>,
    token: string | undefined,
    version: number,
    status: 'pending' | 'paused',
    lastError: string,
    delayMs: number,
    data?: Partial<PublishJobData>,
  ): Promise<never> {
    await this.mark(job.data.sku, job.data.channel, version, status, lastError);
    if (data) await job.updateData({ ...job.data, ...data });
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  private async mark(sku: string, channel: string, version: number, status: string, lastError: string): Promise<void> {
    await this.ds.query(
      `UPDATE product_channels SET status = $4, last_error = $5, updated_at = now() WHERE sku = $1 AND channel = $2 AND wanted_version <= $3`,
      [sku, channel, version, status, lastError.slice(0, 1000)],
    );
  }
}

/** The partner refused our credential (Cloudinary's refusal comes as a MediaUploadError the media service flagged). */
function isCredentialRejection(err: unknown): boolean {
  return err instanceof CredentialRejectedError || (err instanceof MediaUploadError && err.credentialRejected);
}

function isRetryable(err: unknown): boolean {
  if (err instanceof ChannelError) return err.retryable;
  if (err instanceof MediaUploadError) return err.retryable;
  if (err instanceof MissingPartnerCredentialError) return false;
  // Inventory refusals (unknown SKU...) will not change by retrying.
  if (err instanceof ProblemException) return err.getStatus() >= 500;
  // Anything else (database or Redis hiccup) may well pass.
  return true;
}
