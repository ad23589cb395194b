import { MigrationInterface, QueryRunner } from 'typeorm';

export class VaultGraceUntil1764700400000 implements MigrationInterface {
  name = 'VaultGraceUntil1764700400000';

  async up(q: QueryRunner): Promise<void> {
    // The grace a replaced version gets when it has no expiry of its own lives apart from
    // expires_at, so that column keeps meaning "when the partner stops accepting it" (null: never
    // said) instead of silently turning into our own cut-off. Nullable: older code ignores it.
    await q.query(`ALTER TABLE vault_credential_versions ADD COLUMN grace_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vault_credential_versions DROP COLUMN grace_until`);
  }
}
