import { ChannelAdapter, ChannelReview, ListingInput, ListingRejectedError, ListingResult, QuantityUpdate, QuantityUpdateResult } from '@hub/core';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface StorefrontReviewInput {
  sku: string;
  rating: number;
  title?: string;
  body?: string;
  author?: string;
}

/**
 * NovaSkin's own website. It reads the catalog from the hub with a key bound to `storefront`,
 * so "publishing" is a visible row in storefront_listings and delisting hides it; the
 * quantity is whatever the hub says. Reviews are written by the website through the hub.
 */
@Injectable()
export class StorefrontAdapter implements ChannelAdapter {
  readonly channel = 'storefront' as const;
  readonly maxQuantityBatch = 500;

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async publishListing(input: ListingInput): Promise<ListingResult> {
    await this.ds.query(
      `INSERT INTO storefront_listings (sku, name, description, category, price, currency, image_url, quantity, visible)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)
       ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, category = EXCLUDED.category,
         price = EXCLUDED.price, currency = EXCLUDED.currency, image_url = EXCLUDED.image_url, quantity = EXCLUDED.quantity,
         visible = true, updated_at = now()`,
      [input.sku, input.name, input.description, input.category, input.price, input.currency, input.imageUrl, Math.max(0, input.quantity)],
    );
    return { externalId: input.sku, status: 'published' };
  }

  async updateQuantity(sku: string, quantity: number): Promise<{ confirmedQuantity: number }> {
    const [r] = await this.updateQuantities([{ sku, quantity }]);
    if ('error' in r) throw r.error;
    return { confirmedQuantity: r.confirmedQuantity };
  }

  /** One statement for the whole batch. */
  async updateQuantities(updates: QuantityUpdate[]): Promise<QuantityUpdateResult[]> {
    // TypeORM answers UPDATE ... RETURNING with [rows, affectedCount].
    const [rows]: [{ sku: string; quantity: number }[], number] = await this.ds.query(
      `UPDATE storefront_listings l SET quantity = u.quantity, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS u(sku, quantity)
        WHERE l.sku = u.sku AND l.visible RETURNING l.sku, l.quantity`,
      [updates.map((u) => u.sku), updates.map((u) => Math.max(0, u.quantity))],
    );
    const done = new Map(rows.map((r) => [r.sku, r.quantity]));
    return updates.map((u): QuantityUpdateResult =>
      done.has(u.sku) ? { sku: u.sku, confirmedQuantity: done.get(u.sku)! } : { sku: u.sku, error: new ListingRejectedError('storefront', `${u.sku} is not listed on the storefront`) },
    );
  }

  async fetchQuantity(sku: string): Promise<number | null> {
    const rows: { quantity: number }[] = await this.ds.query(`SELECT quantity FROM storefront_listings WHERE sku = $1 AND visible`, [sku]);
    return rows.length ? rows[0].quantity : null;
  }

  async delist(sku: string): Promise<void> {
    await this.ds.query(`UPDATE storefront_listings SET visible = false, updated_at = now() WHERE sku = $1`, [sku]);
  }

  async fetchReviews(since?: Date): Promise<ChannelReview[]> {
    const rows: any[] = await this.ds.query(
      `SELECT id, sku, rating, title, body, author, created_at FROM storefront_reviews
       WHERE $1::timestamptz IS NULL OR created_at > $1 ORDER BY created_at, id LIMIT 5000`,
      [since ?? null],
    );
    return rows.map((r) => ({
      externalId: String(r.id),
      sku: r.sku,
      rating: Number(r.rating),
      title: r.title ?? undefined,
      body: r.body ?? undefined,
      author: r.author ?? undefined,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** A review left on the website (it posts through the hub's API). */
  async addReview(input: StorefrontReviewInput): Promise<ChannelReview> {
    const [r] = await this.ds.query(
      `INSERT INTO storefront_reviews (sku, rating, title, body, author) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, sku, rating, title, body, author, created_at`,
      [input.sku, input.rating, input.title ?? null, input.body ?? null, input.author ?? null],
    );
    return { externalId: String(r.id), sku: r.sku, rating: Number(r.rating), title: r.title ?? undefined, body: r.body ?? undefined, author: r.author ?? undefined, createdAt: new Date(r.created_at).toISOString() };
  }
}
