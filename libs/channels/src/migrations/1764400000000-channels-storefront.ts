import { MigrationInterface, QueryRunner } from 'typeorm';

/** The storefront channel's own state: what NovaSkin's website may show, and its reviews. */
export class ChannelsStorefront1764400000000 implements MigrationInterface {
  name = 'ChannelsStorefront1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE storefront_listings (
        sku           text PRIMARY KEY,
        name          text NOT NULL,
        description   text NOT NULL,
        category      text NOT NULL,
        price         numeric(12,2) NOT NULL,
        currency      char(3) NOT NULL,
        image_url     text,
        quantity      integer NOT NULL CHECK (quantity >= 0),
        visible       boolean NOT NULL DEFAULT true,
        published_at  timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE storefront_reviews (
        id          bigserial PRIMARY KEY,
        sku         text NOT NULL,
        rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        title       text,
        body        text,
        author      text,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX storefront_reviews_created_idx ON storefront_reviews (created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE storefront_reviews`);
    await q.query(`DROP TABLE storefront_listings`);
  }
}
