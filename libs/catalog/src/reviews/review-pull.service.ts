import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ChannelReview, MissingPartnerCredentialError } from '@hub/core';
import { ChannelRegistry } from '@hub/channels';
import { DataSource } from 'typeorm';

/** Reviews published after this long ago are re-read on the next pull, in case a channel indexes them late. */
const OVERLAP_MS = 60_000;

/**
 * Pulls reviews from every channel that offers them (Nykaa, the storefront; Amazon's listings API
 * has none), keeps them by (channel, review id) so re-reading is harmless, and recomputes the
 * rating and count of every product that got a new one.
 */
@Injectable()
export class ReviewPuller {
  private readonly logger = new Logger('CatalogReviews');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: ChannelRegistry,
  ) {}

  async pullAll(): Promise<Record<string, number | string>> {
    const out: Record<string, number | string> = {};
    for (const adapter of this.registry.all()) {
      try {
        out[adapter.channel] = await this.pull(adapter.channel, (since) => adapter.fetchReviews(since));
      } catch (err) {
        // One channel failing must not stop the others; the next pull tries again.
        out[adapter.channel] = `error: ${(err as Error).message}`;
        // No credential yet (a first boot importing them from .env at this moment, or a channel not
        // set up) is a state the vault's health and alerts report, not a failure of this pull.
        if (err instanceof MissingPartnerCredentialError) this.logger.log({ channel: adapter.channel, err: err.message }, 'review pull skipped: no credential');
        else this.logger.warn({ channel: adapter.channel, err: (err as Error).message }, 'review pull failed');
      }
    }
    return out;
  }

  async pull(channel: string, fetch: (since?: Date) => Promise<ChannelReview[]>): Promise<number> {
    const [cursor] = await this.ds.query(`SELECT since FROM review_pull_cursors WHERE channel = $1`, [channel]);
    const since: Date | undefined = cursor ? new Date(new Date(cursor.since).getTime() - OVERLAP_MS) : undefined;
    const reviews = (await fetch(since)).filter((r) => Number.isInteger(r.rating) && r.rating >= 1 && r.rating <= 5 && !Number.isNaN(Date.parse(r.createdAt)));
    if (!reviews.length) return 0;
    return this.ds.transaction(async (m) => {
      // Reviews of SKUs we do not sell (any more) are not kept.
      const inserted: { sku: string }[] = await m.query(
        `INSERT INTO product_reviews (channel, external_id, sku, rating, title, body, author, created_at)
         SELECT $1, r.id, r.sku, r.rating, r.title, r.body, r.author, r.created_at
           FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) AS r(id, sku, rating, title, body, author, created_at)
          WHERE EXISTS (SELECT 1 FROM products p WHERE p.sku = r.sku)
         ON CONFLICT (channel, external_id) DO NOTHING RETURNING sku`,
        [
          channel,
          reviews.map((r) => r.externalId),
          reviews.map((r) => r.sku),
          reviews.map((r) => r.rating),
          reviews.map((r) => r.title ?? null),
          reviews.map((r) => r.body ?? null),
          reviews.map((r) => r.author ?? null),
          reviews.map((r) => r.createdAt),
        ],
      );
      const latest = reviews.reduce((max, r) => (Date.parse(r.createdAt) > max ? Date.parse(r.createdAt) : max), 0);
      await m.query(
        `INSERT INTO review_pull_cursors (channel, since) VALUES ($1, $2)
         ON CONFLICT (channel) DO UPDATE SET since = GREATEST(review_pull_cursors.since, EXCLUDED.since), pulled_at = now()`,
        [channel, new Date(latest)],
      );
      const skus = [...new Set(inserted.map((r) => r.sku))];
      if (skus.length) {
        await m.query(
          `UPDATE products p SET rating_avg = s.avg, rating_count = s.count
             FROM (SELECT sku, round(avg(rating)::numeric, 2) AS avg, count(*)::int AS count FROM product_reviews WHERE sku = ANY($1::text[]) GROUP BY sku) s
            WHERE p.sku = s.sku`,
          [skus],
        );
      }
      return inserted.length;
    });
  }
}
