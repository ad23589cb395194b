import { MigrationInterface, QueryRunner } from 'typeorm';

export class CatalogProducts1764410000000 implements MigrationInterface {
  name = 'CatalogProducts1764410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        sku           text PRIMARY KEY,
        name          text NOT NULL,
        description   text NOT NULL,
        category      text NOT NULL,
        -- Exact money: never a float.
        price         numeric(12,2) NOT NULL CHECK (price >= 0),
        currency      char(3) NOT NULL,
        images        jsonb NOT NULL,
        channels      text[] NOT NULL,
        -- Bumped on every change; publish job ids carry it, so a newer change is a new job.
        version       integer NOT NULL DEFAULT 1,
        rating_avg    numeric(3,2),
        rating_count  integer NOT NULL DEFAULT 0,
        created_by    text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        -- Soft delete keeps the version counter, so a re-created SKU never reuses a job id.
        deleted_at    timestamptz
      )`);
    await q.query(`
      CREATE TABLE product_channels (
        sku               text NOT NULL,
        channel           text NOT NULL CHECK (channel IN ('amazon', 'nykaa', 'storefront')),
        status            text NOT NULL CHECK (status IN ('pending', 'published', 'failed', 'paused')),
        wanted_version    integer NOT NULL,
        published_version integer,
        external_id       text,
        image_url         text,
        last_synced_at    timestamptz,
        last_error        text,
        -- true while a delist is outstanding (product deleted or channel removed)
        delisting         boolean NOT NULL DEFAULT false,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sku, channel)
      )`);
    await q.query(`CREATE INDEX product_channels_visible_idx ON product_channels (channel, sku) WHERE status = 'published' AND NOT delisting`);
    await q.query(`CREATE INDEX product_channels_pending_idx ON product_channels (updated_at) WHERE status IN ('pending', 'paused')`);
    await q.query(`
      CREATE TABLE product_reviews (
        channel      text NOT NULL,
        external_id  text NOT NULL,
        sku          text NOT NULL,
        rating       smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        title        text,
        body         text,
        author       text,
        created_at   timestamptz NOT NULL,
        pulled_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel, external_id)
      )`);
    await q.query(`CREATE INDEX product_reviews_sku_idx ON product_reviews (sku, created_at DESC)`);
    await q.query(`
      CREATE TABLE review_pull_cursors (
        channel     text PRIMARY KEY,
        since       timestamptz NOT NULL,
        pulled_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE review_pull_cursors`);
    await q.query(`DROP TABLE product_reviews`);
    await q.query(`DROP TABLE product_channels`);
    await q.query(`DROP TABLE products`);
  }
}
