import { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per (product, source image): uploaded once, reused by every channel and every republish. */
export class MediaAssets1764420000000 implements MigrationInterface {
  name = 'MediaAssets1764420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE media_assets (
        sku          text NOT NULL,
        source_url   text NOT NULL,
        public_id    text NOT NULL,
        secure_url   text NOT NULL,
        -- channel -> delivery URL of that channel's eager transform
        variants     jsonb NOT NULL,
        width        integer,
        height       integer,
        uploaded_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sku, source_url)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE media_assets`);
  }
}
