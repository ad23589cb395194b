import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AuditService,
  AuthContext,
  canTouchChannel,
  Channel,
  CHANNELS,
  notFound,
  ProblemException,
  RequestOrigin,
  validationFailed,
  withTimeout,
} from '@hub/core';
import { ChannelRegistry, StorefrontAdapter } from '@hub/channels';
import { InventoryService } from '@hub/inventory';
import type { Queue } from 'bullmq';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import { CatalogConfig } from './catalog.config';
import { CATALOG_MAINTENANCE_QUEUE, CATALOG_PUBLISH_QUEUE, PULL_REVIEWS_JOB, SKU_PATTERN } from './constants';
import {
  CreateProductDto,
  CreateReviewDto,
  ProductChannelsView,
  ProductPage,
  ProductView,
  ReviewsView,
  UpdateProductDto,
} from './dto/product.dto';
import { normalisePrice } from './dto/price';
import { publishJob } from './publish/publish-jobs';

export type { PublishJobData } from './publish/publish-jobs';

interface ProductRow {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: string;
  currency: string;
  images: string[];
  channels: Channel[];
  version: number;
  rating_avg: string | null;
  rating_count: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

/** What a PATCH can change, as stored (price normalised, channels in CHANNELS order). */
type ProductFields = Pick<ProductRow, 'name' | 'description' | 'category' | 'price' | 'currency' | 'images' | 'channels'>;

/** Images in order (the first is the main one); channels as a set. */
function sameFields(a: ProductFields, b: ProductFields): boolean {
  const sameList = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    a.name === b.name &&
    a.description === b.description &&
    a.category === b.category &&
    a.price === b.price &&
    a.currency === b.currency &&
    sameList(a.images, b.images) &&
    sameList([...a.channels].sort(), [...b.channels].sort())
  );
}

/**
 * How long a write waits for Redis to take its jobs. Queue connections retry forever, so without a
 * bound a Redis outage would hang every catalog write after its transaction had committed.
 */
const ENQUEUE_TIMEOUT_MS = 2_000;

const PRODUCT_COLUMNS = `sku, name, description, category, price::text AS price, currency, images, channels, version, rating_avg::text AS rating_avg, rating_count, created_at, updated_at, deleted_at`;

/** A key bound to channels sees a product only once it has been published to one of them. */
const VISIBLE_TO = (param: string) =>
  `EXISTS (SELECT 1 FROM product_channels pc WHERE pc.sku = p.sku AND pc.channel = ANY(${param}::text[]) AND pc.published_version IS NOT NULL AND NOT pc.delisting)`;

export interface ImportReport {
  created: number;
  duplicates: number;
  invalid: { index: number; sku?: string; errors: { field: string; message: string }[] }[];
  jobsEnqueued: number;
}

/**
 * Products and where they are listed. Every change bumps the product version and enqueues one
 * publish (or delist) job per channel after the transaction commits; the jobs do the partner work,
 * one job at a time per (sku, channel) (see publishJob).
 */
@Injectable()
export class CatalogService {
  private readonly logger = new Logger('Catalog');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @InjectQueue(CATALOG_PUBLISH_QUEUE) private readonly publishQueue: Queue,
    @InjectQueue(CATALOG_MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
    private readonly inventory: InventoryService,
    private readonly registry: ChannelRegistry,
    private readonly storefront: StorefrontAdapter,
    private readonly audit: AuditService,
    private readonly cfg: CatalogConfig,
  ) {}

  async create(input: CreateProductDto, auth?: AuthContext, origin?: RequestOrigin): Promise<ProductView> {
    const channels = this.channelsFor(input.channels, auth);
    const price = normalisePrice(input.price);
    const actor = auth?.keyId ?? null;
    const row = await this.ds
      .transaction(async (m) => {
        const [existing] = await m.query(`SELECT deleted_at FROM products WHERE sku = $1 FOR UPDATE`, [input.sku]);
        if (existing && !existing.deleted_at) throw duplicateSku(input.sku);
        const values = [input.sku, input.name, input.description, input.category, price, input.currency, JSON.stringify(input.images), channels, actor];
        // A deleted SKU comes back with a higher version, so its new jobs never collide with old job ids.
        const [r]: ProductRow[] = existing
          ? await updateReturning(
              m,
              `UPDATE products SET name = $2, description = $3, category = $4, price = $5, currency = $6, images = $7, channels = $8,
                 created_by = $9, version = version + 1, deleted_at = NULL, created_at = now(), updated_at = now()
               WHERE sku = $1 RETURNING ${PRODUCT_COLUMNS}`,
              values,
            )
          : await m.query(
              `INSERT INTO products (sku, name, description, category, price, currency, images, channels, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${PRODUCT_COLUMNS}`,
              values,
            );
        await this.inventory.ensureItem(m, input.sku, input.stock, actor);
        // A deleted SKU keeps its inventory row (and its history): the new product's stock replaces it.
        if (existing) await this.restock(m, input.sku, input.stock, actor);
        await this.markWanted(m, r.sku, channels, [], r.version);
        await this.audit.record({ action: 'product.created', actorKeyId: actor, requestId: origin?.requestId, ip: origin?.ip, subjectType: 'product', subjectId: r.sku, details: { channels, version: r.version } }, m);
        return r;
      })
      .catch((err) => {
        // Two creates of one new SKU racing: the loser hits the primary key.
        if (err?.code === '23505') throw duplicateSku(input.sku);
        throw err;
      });
    await this.enqueue(row.sku, row.version, channels, []);
    return toView(row);
  }

  async update(sku: string, input: UpdateProductDto, auth?: AuthContext, origin?: RequestOrigin): Promise<ProductView> {
    const actor = auth?.keyId ?? null;
    let removed: Channel[] = [];
    let kept: Channel[] = [];
    const { row, changed } = await this.ds.transaction(async (m) => {
      const [current]: ProductRow[] = await m.query(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE sku = $1 AND deleted_at IS NULL FOR UPDATE`, [sku]);
      if (!current) throw notFound(`Product ${sku}`);
      this.assertVisible(current, auth);
      const channels = input.channels ? this.channelsFor(input.channels, auth) : current.channels;
      // A channel-bound key can change only its own channels' listings: adding or removing a
      // channel needs that channel, and a change to the product itself (name, price, images...)
      // is republished on every channel it is on, so it needs all of them.
      const changesProduct = Object.keys(input).some((k) => k !== 'channels' && (input as Record<string, unknown>)[k] !== undefined);
      for (const c of new Set([...current.channels, ...channels])) {
        if (changesProduct || !channels.includes(c) || !current.channels.includes(c)) this.assertChannel(c, auth);
      }
      const next: ProductFields = {
        name: input.name ?? current.name,
        description: input.description ?? current.description,
        category: input.category ?? current.category,
        price: input.price !== undefined ? normalisePrice(input.price) : current.price,
        currency: input.currency ?? current.currency,
        images: input.images ?? current.images,
        channels,
      };
      // Nothing to publish: a new version would only spend partner quota (Amazon's 5 calls/s) on
      // listings that already say this. The checks above still apply, as for a real change. Unless a
      // listing gave up (`failed` after its retries, e.g. a partner outage): the sweeper never
      // retries those, so re-sending the product is how an operator republishes it.
      if (sameFields(current, next) && !(await this.hasFailedListing(m, sku, channels))) return { row: current, changed: false };
      removed = current.channels.filter((c) => !channels.includes(c));
      kept = channels;
      const [r]: ProductRow[] = await updateReturning(
        m,
        `UPDATE products SET name = $2, description = $3, category = $4, price = $5, currency = $6, images = $7, channels = $8,
           version = version + 1, updated_at = now()
         WHERE sku = $1 RETURNING ${PRODUCT_COLUMNS}`,
        [sku, next.name, next.description, next.category, next.price, next.currency, JSON.stringify(next.images), next.channels],
      );
      await this.markWanted(m, sku, kept, removed, r.version);
      await this.audit.record({ action: 'product.updated', actorKeyId: actor, requestId: origin?.requestId, ip: origin?.ip, subjectType: 'product', subjectId: sku, details: { fields: Object.keys(input), version: r.version } }, m);
      return { row: r, changed: true };
    });
    if (changed) await this.enqueue(sku, row.version, kept, removed);
    return toView(row);
  }

  private async hasFailedListing(m: EntityManager, sku: string, channels: Channel[]): Promise<boolean> {
    const [row]: { failed: boolean }[] = await m.query(
      `SELECT EXISTS (SELECT 1 FROM product_channels WHERE sku = $1 AND channel = ANY($2::text[]) AND status = 'failed' AND NOT delisting) AS failed`,
      [sku, channels],
    );
    return row.failed;
  }

  /** Hides the product at once and delists it from every channel (jobs). */
  async remove(sku: string, auth?: AuthContext, origin?: RequestOrigin): Promise<void> {
    const actor = auth?.keyId ?? null;
    const row = await this.ds.transaction(async (m) => {
      const [current]: ProductRow[] = await m.query(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE sku = $1 AND deleted_at IS NULL FOR UPDATE`, [sku]);
      if (!current) throw notFound(`Product ${sku}`);
      this.assertVisible(current, auth);
      for (const c of current.channels) this.assertChannel(c, auth);
      const [r]: ProductRow[] = await updateReturning(m, `UPDATE products SET deleted_at = now(), version = version + 1, updated_at = now() WHERE sku = $1 RETURNING ${PRODUCT_COLUMNS}`, [sku]);
      const listed: { channel: Channel }[] = await m.query(`SELECT channel FROM product_channels WHERE sku = $1`, [sku]);
      await this.markWanted(m, sku, [], listed.map((l) => l.channel), r.version);
      await this.audit.record({ action: 'product.deleted', actorKeyId: actor, requestId: origin?.requestId, ip: origin?.ip, subjectType: 'product', subjectId: sku, details: { version: r.version } }, m);
      return { ...r, channels: listed.map((l) => l.channel) };
    });
    await this.enqueue(sku, row.version, [], row.channels);
  }

  async get(sku: string, auth?: AuthContext): Promise<ProductView> {
    return toView(await this.visibleRow(sku, auth));
  }

  /**
   * Current price and currency of many SKUs in one query (for orders); deleted and unknown SKUs
   * are absent from the map. Prices are exact decimal strings ("899.00").
   */
  async prices(skus: string[]): Promise<Map<string, { sku: string; price: string; currency: string }>> {
    const rows: { sku: string; price: string; currency: string }[] = skus.length
      ? await this.ds.query(`SELECT sku, price::text AS price, currency FROM products WHERE sku = ANY($1::text[]) AND deleted_at IS NULL`, [[...new Set(skus)]])
      : [];
    return new Map(rows.map((r) => [r.sku, r]));
  }

  async list(cursor: string | undefined, limit = 20, auth?: AuthContext): Promise<ProductPage> {
    const after = cursor ? decodeCursor(cursor) : null;
    const params: unknown[] = [after, limit + 1];
    let filter = '';
    if (auth?.channels) {
      params.push(auth.channels);
      filter = `AND ${VISIBLE_TO('$3')}`;
    }
    const rows: ProductRow[] = await this.ds.query(
      `SELECT ${PRODUCT_COLUMNS} FROM products p WHERE deleted_at IS NULL AND ($1::text IS NULL OR sku > $1) ${filter} ORDER BY sku LIMIT $2`,
      params,
    );
    const page = rows.slice(0, limit);
    return { data: page.map(toView), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].sku) : null };
  }

  async channels(sku: string, auth?: AuthContext): Promise<ProductChannelsView> {
    await this.visibleRow(sku, auth);
    const rows: any[] = await this.ds.query(
      `SELECT channel, status, external_id, image_url, last_synced_at, last_error, delisting FROM product_channels WHERE sku = $1 ORDER BY channel`,
      [sku],
    );
    return {
      sku,
      channels: rows
        .filter((r) => canTouchChannel(auth, r.channel))
        .map((r) => ({
          channel: r.channel,
          status: r.status,
          externalId: r.external_id,
          imageUrl: r.image_url,
          lastSyncedAt: r.last_synced_at ? new Date(r.last_synced_at).toISOString() : null,
          lastError: r.last_error,
          delisting: r.delisting,
        })),
    };
  }

  async reviews(sku: string, limit = 20, auth?: AuthContext): Promise<ReviewsView> {
    const p = await this.visibleRow(sku, auth);
    const rows: any[] = await this.ds.query(
      `SELECT channel, external_id, rating, title, body, author, created_at FROM product_reviews WHERE sku = $1 ORDER BY created_at DESC, external_id LIMIT $2`,
      [sku, limit],
    );
    return {
      sku,
      rating: { average: p.rating_avg, count: p.rating_count },
      reviews: rows.map((r) => ({
        channel: r.channel,
        externalId: r.external_id,
        rating: Number(r.rating),
        title: r.title,
        body: r.body,
        author: r.author,
        createdAt: new Date(r.created_at).toISOString(),
      })),
    };
  }

  /** A review left on NovaSkin's website; the next review pull counts it (queued at once). */
  async addStorefrontReview(sku: string, input: CreateReviewDto, auth?: AuthContext): Promise<{ externalId: string }> {
    this.assertChannel('storefront', auth);
    await this.visibleRow(sku, auth);
    const r = await this.storefront.addReview({ sku, ...input });
    // The review is stored either way; if Redis is away the scheduled pull counts it instead.
    await this.bounded(
      this.maintenanceQueue.add(PULL_REVIEWS_JOB, {}, { jobId: `pull-reviews-now-${r.externalId}`, removeOnComplete: true, removeOnFail: 100 }),
      { sku, job: PULL_REVIEWS_JOB },
    );
    return { externalId: r.externalId };
  }

  /**
   * Loads many products through the same path as `POST /v1/products`: each is validated with the
   * API's own DTO rules, existing SKUs are counted as duplicates, bad entries are reported.
   */
  async importMany(items: unknown[], auth?: AuthContext): Promise<ImportReport> {
    const report: ImportReport = { created: 0, duplicates: 0, invalid: [], jobsEnqueued: 0 };
    for (const [index, raw] of items.entries()) {
      // Before validate(), which throws on null rather than reporting it.
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        report.invalid.push({ index, errors: [{ field: '', message: 'must be a product object' }] });
        continue;
      }
      const dto = plainToInstance(CreateProductDto, raw);
      const errors = await validate(dto as object, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
      if (errors.length) {
        report.invalid.push({ index, sku: (raw as any)?.sku, errors: flattenErrors(errors) });
        continue;
      }
      try {
        const view = await this.create(dto, auth);
        report.created++;
        report.jobsEnqueued += view.channels.length;
      } catch (err) {
        if (err instanceof ProblemException && err.slug === 'duplicate-sku') report.duplicates++;
        else if (err instanceof ProblemException && err.getStatus() < 500) report.invalid.push({ index, sku: dto.sku, errors: [{ field: '', message: err.detail }] });
        else throw err;
      }
    }
    return report;
  }

  // ---- internals ----

  private channelsFor(requested: Channel[] | undefined, auth?: AuthContext): Channel[] {
    const enabled = this.registry.channels();
    // A bound key's products default to its own channels, not to every channel.
    const wanted = requested ?? CHANNELS.filter((c) => enabled.includes(c) && canTouchChannel(auth, c));
    const notEnabled = wanted.filter((c) => !enabled.includes(c));
    if (notEnabled.length) throw validationFailed([{ field: 'channels', message: `not enabled on this hub: ${notEnabled.join(', ')}` }]);
    for (const c of wanted) this.assertChannel(c, auth);
    if (!wanted.length) throw validationFailed([{ field: 'channels', message: 'must name at least one channel' }]);
    return CHANNELS.filter((c) => wanted.includes(c));
  }

  private assertChannel(channel: Channel, auth?: AuthContext): void {
    if (!canTouchChannel(auth, channel)) {
      throw new ProblemException(403, 'channel-not-allowed', `This API key is not bound to the ${channel} channel`, { extensions: { channel } });
    }
  }

  private async visibleRow(sku: string, auth?: AuthContext): Promise<ProductRow> {
    const params: unknown[] = [sku];
    let filter = '';
    if (auth?.channels) {
      params.push(auth.channels);
      filter = `AND ${VISIBLE_TO('$2')}`;
    }
    const [row]: ProductRow[] = await this.ds.query(`SELECT ${PRODUCT_COLUMNS} FROM products p WHERE sku = $1 AND deleted_at IS NULL ${filter}`, params);
    // Invisible and missing look the same, so a bound key cannot probe for other channels' SKUs.
    if (!row) throw notFound(`Product ${sku}`);
    return row;
  }

  private assertVisible(row: ProductRow, auth?: AuthContext): void {
    if (auth?.channels && !row.channels.some((c) => auth.channels!.includes(c))) throw notFound(`Product ${row.sku}`);
  }

  private async restock(m: EntityManager, sku: string, stock: number, actor: string | null): Promise<void> {
    try {
      await this.inventory.setOnHand(sku, stock, actor, m, 'stock set when the deleted product was re-created');
    } catch (err) {
      // Open orders still hold units of the old product: the new stock may not go below them.
      if (err instanceof ProblemException && err.slug === 'below-reserved') {
        const reserved = Number(err.problem.extensions?.reserved ?? 0);
        throw new ProblemException(422, 'below-reserved', `stock ${stock} is below the ${reserved} units still reserved for open orders of ${sku}`, {
          extensions: { errors: [{ field: 'stock', message: `must be at least ${reserved} (reserved)` }], reserved },
        });
      }
      throw err;
    }
  }

  private async markWanted(m: EntityManager, sku: string, publish: Channel[], delist: Channel[], version: number): Promise<void> {
    if (publish.length) {
      await m.query(
        `INSERT INTO product_channels (sku, channel, status, wanted_version) SELECT $1, c, 'pending', $3 FROM unnest($2::text[]) AS c
         ON CONFLICT (sku, channel) DO UPDATE SET status = 'pending', wanted_version = EXCLUDED.wanted_version, delisting = false, updated_at = now()`,
        [sku, publish, version],
      );
    }
    if (delist.length) {
      await m.query(
        `UPDATE product_channels SET delisting = true, status = 'pending', wanted_version = $3, updated_at = now() WHERE sku = $1 AND channel = ANY($2::text[])`,
        [sku, delist, version],
      );
    }
  }

  /**
   * Runs after the commit, so a failure here must not fail the request: the rows stay `pending` and
   * the PendingSweeper enqueues them once Redis is back.
   */
  private async enqueue(sku: string, version: number, publish: Channel[], delist: Channel[]): Promise<void> {
    const jobs = [
      ...publish.map((c) => publishJob(this.cfg, sku, c, version, false)),
      ...delist.map((c) => publishJob(this.cfg, sku, c, version, true)),
    ];
    await this.bounded(this.publishQueue.addBulk(jobs), { sku, version, jobs: jobs.length });
  }

  /** Waits at most ENQUEUE_TIMEOUT_MS for a queue call; a failure is logged, not thrown. */
  private async bounded(call: Promise<unknown>, context: Record<string, unknown>): Promise<void> {
    try {
      await withTimeout(call, ENQUEUE_TIMEOUT_MS, `Redis did not take the job within ${ENQUEUE_TIMEOUT_MS} ms`);
    } catch (err) {
      this.logger.warn({ ...context, err: (err as Error).message }, 'catalog job not enqueued; a later sweep or pull picks the change up');
    }
  }
}

/** TypeORM answers UPDATE ... RETURNING with `[rows, affected]` (INSERT with just the rows). */
async function updateReturning<T = any>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const res = await m.query(sql, params);
  return Array.isArray(res) && Array.isArray(res[0]) && typeof res[1] === 'number' ? res[0] : res;
}

function duplicateSku(sku: string): ProblemException {
  return new ProblemException(409, 'duplicate-sku', `A product with SKU ${sku} already exists`, { extensions: { sku } });
}

function toView(r: ProductRow): ProductView {
  return {
    sku: r.sku,
    name: r.name,
    description: r.description,
    category: r.category,
    price: r.price,
    currency: r.currency,
    images: r.images,
    channels: r.channels,
    version: r.version,
    rating: { average: r.rating_avg, count: r.rating_count },
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

function encodeCursor(sku: string): string {
  return Buffer.from(JSON.stringify({ s: sku })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Only what encodeCursor writes: any other string (a NUL byte, say) would reach Postgres and fail there.
    if (typeof v?.s === 'string' && SKU_PATTERN.test(v.s)) return v.s;
  } catch {
    /* reported below */
  }
  throw validationFailed([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
}

function flattenErrors(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    return [
      ...Object.values(e.constraints ?? {}).map((m) => ({ field, message: m.startsWith(e.property + ' ') ? m.slice(e.property.length + 1) : m })),
      ...flattenErrors(e.children ?? [], field),
    ];
  });
}
