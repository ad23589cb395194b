import { MigrationInterface, QueryRunner } from 'typeorm';

export class VaultKeys1764700200000 implements MigrationInterface {
  name = 'VaultKeys1764700200000';

  async up(q: QueryRunner): Promise<void> {
    // Vault-internal keys that must outlive master-key rotation (the fingerprint key), wrapped by
    // a master key like a data key and moved forward by vault:rewrap.
    await q.query(`
      CREATE TABLE vault_keys (
        purpose            text PRIMARY KEY,
        master_key_version integer NOT NULL,
        wrapped_key        bytea NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE vault_keys`);
  }
}
