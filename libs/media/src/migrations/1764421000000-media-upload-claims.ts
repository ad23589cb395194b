import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who is uploading an image right now. A claim is taken and released by single statements, so no
 * transaction (and no pool connection) is held during the Cloudinary upload; a claim whose holder
 * died expires and may be taken over.
 */
export class MediaUploadClaims1764421000000 implements MigrationInterface {
  name = 'MediaUploadClaims1764421000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE media_upload_claims (
        sku         text NOT NULL,
        source_url  text NOT NULL,
        token       uuid NOT NULL,
        expires_at  timestamptz NOT NULL,
        PRIMARY KEY (sku, source_url)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE media_upload_claims`);
  }
}
