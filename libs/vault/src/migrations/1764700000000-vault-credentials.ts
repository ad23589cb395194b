import { MigrationInterface, QueryRunner } from 'typeorm';

export class VaultCredentials1764700000000 implements MigrationInterface {
  name = 'VaultCredentials1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vault_credential_versions (
        id                 bigserial PRIMARY KEY,
        partner            text NOT NULL CHECK (partner IN ('amazon', 'nykaa', 'razorpay', 'cloudinary')),
        version            integer NOT NULL CHECK (version >= 1),
        status             text NOT NULL CHECK (status IN ('pending', 'current', 'previous', 'retired')),
        source             text NOT NULL,
        -- Envelope: iv|tag|ciphertext of the fields JSON under a data key, and that data key
        -- wrapped by master key master_key_version. No plaintext secret is ever stored.
        master_key_version integer NOT NULL,
        wrapped_key        bytea NOT NULL,
        ciphertext         bytea NOT NULL,
        fingerprint        text NOT NULL,
        expires_at         timestamptz,
        rotate_every_days  integer,
        created_at         timestamptz NOT NULL DEFAULT now(),
        rotated_at         timestamptz,
        retired_at         timestamptz,
        last_verified_at   timestamptz,
        last_used_at       timestamptz,
        last_failure_at    timestamptz,
        last_error         text,
        UNIQUE (partner, version)
      )`);
    // At most one current version per partner, even with several api instances racing.
    await q.query(`CREATE UNIQUE INDEX vault_one_current_idx ON vault_credential_versions (partner) WHERE status = 'current'`);
    await q.query(`CREATE INDEX vault_status_idx ON vault_credential_versions (status, partner)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE vault_credential_versions`);
  }
}
