import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Partner } from '@hub/core';
import { DataSource, EntityManager } from 'typeorm';
import type { SealedFields, WrappedKey } from './crypto/envelope';
import type { CredentialStatus } from './credential-health';

export interface VersionRow extends SealedFields {
  id: string;
  partner: Partner;
  version: number;
  status: CredentialStatus;
  source: string;
  fingerprint: string;
  expiresAt: Date | null;
  /** Only for a version that became previous without an expiry of its own: when we stop using it. */
  graceUntil: Date | null;
  rotateEveryDays: number | null;
  createdAt: Date;
  rotatedAt: Date | null;
  retiredAt: Date | null;
  lastVerifiedAt: Date | null;
  lastUsedAt: Date | null;
  lastFailureAt: Date | null;
  lastError: string | null;
}

/**
 * When a previous version stops being usable: its own expiry, else the grace it got on being
 * replaced. A promotion always sets one of the two, so neither means a row edited by hand.
 */
const PREVIOUS_END = 'COALESCE(expires_at, grace_until)';

const d = (v: unknown) => (v ? new Date(v as string) : null);

function toRow(r: Record<string, unknown>): VersionRow {
  return {
    id: String(r.id),
    partner: r.partner as Partner,
    version: Number(r.version),
    status: r.status as CredentialStatus,
    source: r.source as string,
    masterKeyVersion: Number(r.master_key_version),
    wrappedKey: r.wrapped_key as Buffer,
    ciphertext: r.ciphertext as Buffer,
    fingerprint: r.fingerprint as string,
    expiresAt: d(r.expires_at),
    graceUntil: d(r.grace_until),
    rotateEveryDays: r.rotate_every_days === null ? null : Number(r.rotate_every_days),
    createdAt: d(r.created_at)!,
    rotatedAt: d(r.rotated_at),
    retiredAt: d(r.retired_at),
    lastVerifiedAt: d(r.last_verified_at),
    lastUsedAt: d(r.last_used_at),
    lastFailureAt: d(r.last_failure_at),
    lastError: (r.last_error as string) ?? null,
  };
}

export interface NewVersion extends SealedFields {
  partner: Partner;
  status: CredentialStatus;
  source: string;
  fingerprint: string;
  expiresAt: Date | null;
  rotateEveryDays: number | null;
}

/** SQL for credential versions. Writes that change which version is current hold a per-partner lock. */
@Injectable()
export class VaultRepository {
  constructor(@InjectDataSource() readonly ds: DataSource) {}

  /** Serialises version changes of one partner across every instance (transaction-scoped). */
  async lockPartner(m: EntityManager, partner: Partner): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('hub-vault:' || $1))`, [partner]);
  }

  async insertNextVersion(m: EntityManager, v: NewVersion, version: number): Promise<VersionRow> {
    const rows: Record<string, unknown>[] = await m.query(
      `INSERT INTO vault_credential_versions
         (partner, version, status, source, master_key_version, wrapped_key, ciphertext, fingerprint, expires_at, rotate_every_days, rotated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $3 = 'current' THEN now() END)
       RETURNING *`,
      [v.partner, version, v.status, v.source, v.masterKeyVersion, v.wrappedKey, v.ciphertext, v.fingerprint, v.expiresAt, v.rotateEveryDays],
    );
    return toRow(rows[0]);
  }

  async nextVersion(m: EntityManager, partner: Partner): Promise<number> {
    const [r] = await m.query(`SELECT COALESCE(MAX(version), 0) + 1 AS v FROM vault_credential_versions WHERE partner = $1`, [partner]);
    return Number(r.v);
  }

  async get(partner: Partner, version: number, m: EntityManager = this.ds.manager): Promise<VersionRow | null> {
    const rows: Record<string, unknown>[] = await m.query(`SELECT * FROM vault_credential_versions WHERE partner = $1 AND version = $2`, [partner, version]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  async current(partner: Partner, m: EntityManager = this.ds.manager): Promise<VersionRow | null> {
    const rows: Record<string, unknown>[] = await m.query(`SELECT * FROM vault_credential_versions WHERE partner = $1 AND status = 'current'`, [partner]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /**
   * Current first, then every previous version still within its end (newest first): an inbound
   * signature may have been made with any of them.
   */
  async usable(partner: Partner): Promise<VersionRow[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT * FROM vault_credential_versions
        WHERE partner = $1 AND (status = 'current' OR (status = 'previous' AND (${PREVIOUS_END} IS NULL OR ${PREVIOUS_END} > now())))
        ORDER BY (status = 'current') DESC, version DESC`,
      [partner],
    );
    return rows.map(toRow);
  }

  async all(): Promise<VersionRow[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(`SELECT * FROM vault_credential_versions ORDER BY partner, version DESC`);
    return rows.map(toRow);
  }

  async partnersWithAnyVersion(): Promise<Set<Partner>> {
    const rows: { partner: Partner }[] = await this.ds.query(`SELECT DISTINCT partner FROM vault_credential_versions`);
    return new Set(rows.map((r) => r.partner));
  }

  /** Credential versions per master key version (vault keys count as 0, but their master key is listed). */
  async masterKeyUsage(): Promise<{ masterKeyVersion: number; count: number }[]> {
    const rows: { v: number; n: string }[] = await this.ds.query(
      `SELECT v, count(*) FILTER (WHERE credential) AS n FROM (
         SELECT master_key_version AS v, true AS credential FROM vault_credential_versions
         UNION ALL SELECT master_key_version, false FROM vault_keys
       ) u GROUP BY v`,
    );
    return rows.map((r) => ({ masterKeyVersion: Number(r.v), count: Number(r.n) }));
  }

  /** Serialises creation and rewrapping of the vault's own keys. */
  async lockKeys(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('hub-vault:keys'))`);
  }

  async getKey(m: EntityManager, purpose: string): Promise<WrappedKey | null> {
    const rows: Record<string, unknown>[] = await m.query(`SELECT master_key_version, wrapped_key FROM vault_keys WHERE purpose = $1`, [purpose]);
    return rows[0] ? { masterKeyVersion: Number(rows[0].master_key_version), wrappedKey: rows[0].wrapped_key as Buffer } : null;
  }

  async putKey(m: EntityManager, purpose: string, w: WrappedKey): Promise<void> {
    await m.query(
      `INSERT INTO vault_keys (purpose, master_key_version, wrapped_key) VALUES ($1, $2, $3)
       ON CONFLICT (purpose) DO UPDATE SET master_key_version = EXCLUDED.master_key_version, wrapped_key = EXCLUDED.wrapped_key`,
      [purpose, w.masterKeyVersion, w.wrappedKey],
    );
  }

  async hasAnyVersion(m: EntityManager): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM vault_credential_versions LIMIT 1`);
    return rows.length > 0;
  }

  async markVerified(partner: Partner, version: number, m: EntityManager = this.ds.manager): Promise<void> {
    await m.query(
      `UPDATE vault_credential_versions SET last_verified_at = now(), last_error = NULL WHERE partner = $1 AND version = $2`,
      [partner, version],
    );
  }

  /** Returns whether the version was healthy before (so callers act on the transition only). */
  async markFailed(partner: Partner, version: number, error: string, rejected: boolean): Promise<{ wasFailing: boolean; status: CredentialStatus; source: string } | null> {
    const res: [Record<string, unknown>[], number] = await this.ds.query(
      `UPDATE vault_credential_versions v
          SET last_error = $3,
              last_failure_at = CASE WHEN $4 THEN now() ELSE v.last_failure_at END
         FROM (SELECT id, last_failure_at IS NOT NULL
                      AND last_failure_at >= GREATEST(COALESCE(last_verified_at, 'epoch'), COALESCE(last_used_at, 'epoch')) AS was_failing
                 FROM vault_credential_versions WHERE partner = $1 AND version = $2) prior
        WHERE v.id = prior.id
        RETURNING prior.was_failing, v.status, v.source`,
      [partner, version, error.slice(0, 1000), rejected],
    );
    const r = res[0]?.[0];
    return r ? { wasFailing: r.was_failing === true, status: r.status as CredentialStatus, source: r.source as string } : null;
  }

  async touchUsed(entries: { partner: Partner; version: number; at: Date }[]): Promise<void> {
    if (!entries.length) return;
    await this.ds.query(
      `UPDATE vault_credential_versions v SET last_used_at = GREATEST(COALESCE(v.last_used_at, 'epoch'), u.at)
         FROM unnest($1::text[], $2::int[], $3::timestamptz[]) AS u(partner, version, at)
        WHERE v.partner = u.partner AND v.version = u.version`,
      [entries.map((e) => e.partner), entries.map((e) => e.version), entries.map((e) => e.at.toISOString())],
    );
  }

  async setStatus(m: EntityManager, partner: Partner, version: number, status: CredentialStatus, extra = ''): Promise<void> {
    await m.query(`UPDATE vault_credential_versions SET status = $3 ${extra} WHERE partner = $1 AND version = $2`, [partner, version, status]);
  }

  async replaceSealed(m: EntityManager, id: string, s: SealedFields, fingerprint: string): Promise<void> {
    await m.query(
      `UPDATE vault_credential_versions SET master_key_version = $2, wrapped_key = $3, ciphertext = $4, fingerprint = $5 WHERE id = $1`,
      [id, s.masterKeyVersion, s.wrappedKey, s.ciphertext, fingerprint],
    );
  }

  async recordExpiry(partner: Partner, version: number, expiresAt: Date, m: EntityManager = this.ds.manager): Promise<void> {
    await m.query(`UPDATE vault_credential_versions SET expires_at = $3 WHERE partner = $1 AND version = $2`, [partner, version, expiresAt]);
  }

  /** Previous versions past their expiry retire; returns the partners touched. */
  async retireExpired(): Promise<{ partner: Partner; version: number }[]> {
    const res: [Record<string, unknown>[], number] = await this.ds.query(
      `UPDATE vault_credential_versions SET status = 'retired', retired_at = now()
        WHERE status = 'previous' AND ${PREVIOUS_END} <= now()
        RETURNING partner, version`,
    );
    return (res[0] ?? []).map((r) => ({ partner: r.partner as Partner, version: Number(r.version) }));
  }
}
