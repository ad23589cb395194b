import type { Channel, Scope, Tier } from '@hub/core';
import { EffectiveLimits, effectiveLimits, EXPIRING_WINDOW_MS, LimitOverrides } from './constants';
import type { KeyEnvironment } from './key-format';

/** One row of `api_keys`, as read from Postgres. */
export interface ApiKeyRow {
  key_id: string;
  environment: KeyEnvironment;
  name: string;
  application: string | null;
  metadata: Record<string, unknown>;
  scopes: Scope[];
  channels: Channel[] | null;
  tier: Tier;
  limits: LimitOverrides | null;
  allowed_cidrs: string[] | null;
  secret_hash: Buffer;
  pepper_version: number;
  secret_start: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  revoked_by: string | null;
  rotated_to: string | null;
  rotated_from: string | null;
  created_at: Date;
  created_by: string | null;
  updated_at: Date;
  last_used_at: Date | null;
  request_count: string;
  error_4xx_count: string;
  error_5xx_count: string;
}

export type KeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** What the API returns for a key: never the secret or its hash. */
export interface ApiKeyRecord {
  keyId: string;
  /** `nsk_<env>_<keyId>_<first 4 secret characters>`: enough to recognise a key in a list. */
  prefix: string;
  start: string;
  name: string;
  environment: KeyEnvironment;
  application: string | null;
  metadata: Record<string, unknown>;
  scopes: Scope[];
  channels: Channel[] | null;
  tier: Tier;
  limits: LimitOverrides | null;
  effectiveLimits: EffectiveLimits;
  allowedCidrs: string[] | null;
  status: KeyStatus;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  revokedBy: string | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  lastUsedAt: string | null;
  usage: { requests: number; errors4xx: number; errors5xx: number };
}

export function keyStatus(row: Pick<ApiKeyRow, 'revoked_at' | 'expires_at'>, now = Date.now()): KeyStatus {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at.getTime() <= now) return 'expired';
  if (row.expires_at && row.expires_at.getTime() - now <= EXPIRING_WINDOW_MS) return 'expiring';
  return 'active';
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    keyId: row.key_id,
    prefix: `nsk_${row.environment}_${row.key_id}_${row.secret_start}`,
    start: row.secret_start,
    name: row.name,
    environment: row.environment,
    application: row.application,
    metadata: row.metadata ?? {},
    scopes: row.scopes,
    channels: row.channels,
    tier: row.tier,
    limits: row.limits,
    effectiveLimits: effectiveLimits(row.tier, row.limits),
    allowedCidrs: row.allowed_cidrs,
    status: keyStatus(row),
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    revokedReason: row.revoked_reason,
    revokedBy: row.revoked_by,
    rotatedTo: row.rotated_to,
    rotatedFrom: row.rotated_from,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    lastUsedAt: iso(row.last_used_at),
    usage: { requests: Number(row.request_count), errors4xx: Number(row.error_4xx_count), errors5xx: Number(row.error_5xx_count) },
  };
}
