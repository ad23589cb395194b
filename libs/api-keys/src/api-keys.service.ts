import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { afterTimeCursor, AuditService, Channel, cidrInputProblem, CURSOR_AT, decodeTimeCursor, encodeTimeCursor, CHANNELS, CoreConfig, FieldError, notFound, parseCidr, ProblemException, Scope, SCOPES, Tier, TIERS, validationFailed } from '@hub/core';
import { DataSource, EntityManager } from 'typeorm';
import { ApiKeyRecord, ApiKeyRow, toRecord } from './api-key.record';
import { AUDIT, DEFAULT_ROTATION_OVERLAP_SECONDS, LimitOverrides, METADATA_MAX_BYTES, REVOKE_REASON_MAX, REVOKE_REASON_RULE } from './constants';
import { KeyCacheService } from './key-cache.service';
import { generateKey, KEY_ID_PATTERN, KeyEnvironment } from './key-format';
import { assertWithinGrant, assertWithinReach, KeyGrant, KeyReach } from './key-grant';
import type { TimeWindow } from './timestamp';
import { PepperRing } from './pepper';

export interface CreateKeyInput {
  name: string;
  environment: KeyEnvironment;
  scopes: Scope[] | 'all';
  tier: Tier;
  limits?: LimitOverrides | null;
  channels?: Channel[] | null;
  allowedCidrs?: string[] | null;
  expiresAt?: Date | null;
  metadata?: Record<string, unknown>;
  application?: string | null;
}

export type PatchKeyInput = Partial<Omit<CreateKeyInput, 'environment'>>;

/**
 * Who asked for a change: recorded on the key and in the audit trail. A change made by a key
 * (`keyId` set) is limited to what that key holds (see assertWithinGrant); the CLI (`label`) is
 * the install's owner and is not.
 */
export interface Actor {
  keyId?: string | null;
  /** For changes made outside HTTP, e.g. `cli`. */
  label?: string;
  requestId?: string | null;
  ip?: string | null;
}

export interface CreatedKey {
  /** The full key: returned once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

/** The summed hourly usage rows of one UTC hour or day (zeros and nulls when it has none). */
export interface UsageBucketSums {
  /** The bucket's start, ISO 8601 UTC. */
  start: string;
  requests: number;
  errors4xx: number;
  errors5xx: number;
  latencySumMs: number | null;
  latencyMaxMs: number | null;
}

/**
 * How usage rows fall into buckets, for any query over api_key_usage_hourly that groups as
 * usageBuckets does (analytics reads the latency histograms of the same buckets): the bucket's
 * start as the ISO 8601 text usageBuckets returns, from `$3` ('hour' or 'day'); and the rows of the
 * window [`$1`, `$2`) of key `$4` (every key when null).
 */
export const USAGE_BUCKET_START = `to_char(date_trunc($3, hour AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00.000"Z"')`;
export const USAGE_BUCKET_ROWS = `hour >= $1 AND hour < $2 AND ($4::text IS NULL OR key_id = $4)`;

export interface UsagePoint {
  start: string;
  requests: number;
  errors4xx: number;
  errors5xx: number;
  avgLatencyMs: number | null;
  maxLatencyMs: number | null;
}

/** TypeORM's postgres driver answers UPDATE ... RETURNING with [rows, count], INSERT with rows. */
function returned(result: unknown): ApiKeyRow {
  const r = result as unknown[];
  return (Array.isArray(r[0]) ? (r[0] as ApiKeyRow[])[0] : (r as ApiKeyRow[])[0]);
}

const MAX_OVERLAP_SECONDS = 30 * 24 * 3600;

/**
 * Key lifecycle: create, read, patch, rotate, revoke. Every change commits with its audit row and
 * is then announced to every api instance so cached copies are dropped.
 */
@Injectable()
export class ApiKeysService {
  readonly peppers: PepperRing;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly cache: KeyCacheService,
    core: CoreConfig,
  ) {
    this.peppers = new PepperRing(core.API_KEY_PEPPER);
  }

  /** Checks what DTO validation cannot (and everything, for callers that bypass HTTP such as the CLI). */
  private check(input: PatchKeyInput & { environment?: string }, creating: boolean): void {
    const errors: FieldError[] = [];
    if (creating || input.name !== undefined) {
      if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 200) errors.push({ field: 'name', message: 'must be 1 to 200 characters' });
    }
    if (creating && input.environment !== 'live' && input.environment !== 'test') errors.push({ field: 'environment', message: 'must be one of: live, test' });
    if (creating || input.scopes !== undefined) {
      const s = input.scopes;
      if (s !== 'all' && (!Array.isArray(s) || !s.length || s.some((x) => !(SCOPES as readonly string[]).includes(x)))) {
        errors.push({ field: 'scopes', message: `must be "all" or a non-empty list of: ${SCOPES.join(', ')}` });
      }
    }
    if ((creating || input.tier !== undefined) && !(TIERS as readonly string[]).includes(input.tier as string)) {
      errors.push({ field: 'tier', message: `must be one of: ${TIERS.join(', ')}` });
    }
    if (input.channels && input.channels.some((c) => !(CHANNELS as readonly string[]).includes(c))) {
      errors.push({ field: 'channels', message: `each must be one of: ${CHANNELS.join(', ')}` });
    }
    input.allowedCidrs?.forEach((c, i) => {
      const problem = cidrInputProblem(c);
      if (problem) errors.push({ field: `allowedCidrs.${i}`, message: problem });
    });
    // The column is NOT NULL: null (or a list) reached Postgres as a 500 when only IsOptional stood in front.
    if (input.metadata !== undefined) {
      const m: unknown = input.metadata;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) errors.push({ field: 'metadata', message: 'must be an object' });
      else if (Buffer.byteLength(JSON.stringify(m), 'utf8') > METADATA_MAX_BYTES) errors.push({ field: 'metadata', message: `must be a JSON object of at most ${METADATA_MAX_BYTES} bytes (UTF-8)` });
    }
    if (input.expiresAt && (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime()) || input.expiresAt.getTime() <= Date.now())) {
      errors.push({ field: 'expiresAt', message: 'must be a date-time in the future' });
    }
    const l = input.limits;
    if (l) {
      if (l.burstPerSecond !== undefined && (!Number.isInteger(l.burstPerSecond) || l.burstPerSecond < 1 || l.burstPerSecond > 1_000_000)) {
        errors.push({ field: 'limits.burstPerSecond', message: 'must be an integer from 1 to 1000000' });
      }
      if (l.quota) {
        if (!Number.isInteger(l.quota.limit) || l.quota.limit < 1) errors.push({ field: 'limits.quota.limit', message: 'must be a positive integer' });
        if (l.quota.period !== 'day' && l.quota.period !== 'month') errors.push({ field: 'limits.quota.period', message: 'must be one of: day, month' });
      }
    }
    if (errors.length) throw validationFailed(errors);
  }

  /** The calling key as stored now (not as cached by the guard), or null for callers outside HTTP. */
  private async grantor(actor: Actor, m: EntityManager): Promise<(KeyGrant & KeyReach) | null> {
    if (!actor.keyId) return null;
    const rows: Pick<ApiKeyRow, 'scopes' | 'channels' | 'tier' | 'limits' | 'allowed_cidrs' | 'expires_at'>[] = await m.query(
      `SELECT scopes, channels, tier, limits, allowed_cidrs, expires_at FROM api_keys WHERE key_id = $1`,
      [actor.keyId],
    );
    const r = rows[0];
    // A caller that vanished holds nothing.
    if (!r) return { scopes: [], channels: [], tier: 'free', limits: null, cidrs: [], expiresAt: new Date(0) };
    return { ...ApiKeysService.grantOf(r), ...ApiKeysService.reachOf(r) };
  }

  private static grantOf(r: Pick<ApiKeyRow, 'scopes' | 'channels' | 'tier' | 'limits'>): KeyGrant {
    return { scopes: r.scopes, channels: r.channels?.length ? r.channels : null, tier: r.tier, limits: r.limits };
  }

  private static reachOf(r: Pick<ApiKeyRow, 'allowed_cidrs' | 'expires_at'>): KeyReach {
    return { cidrs: r.allowed_cidrs?.length ? r.allowed_cidrs : null, expiresAt: r.expires_at };
  }

  private static cidrs(list: string[] | null | undefined): string[] | null {
    // Entries were checked (cidrInputProblem) on the way in. One that no longer reads (a rotation copies
    // the stored list) is kept as it is, not a 500 and never dropped: an allow list must not widen.
    return list?.length ? list.map((c) => parseCidr(c)?.text ?? c) : null;
  }

  async create(input: CreateKeyInput, actor: Actor = {}): Promise<CreatedKey> {
    this.check(input, true);
    return this.ds.transaction(async (m) => {
      const caller = await this.grantor(actor, m);
      if (caller) {
        const scopes = input.scopes === 'all' ? [...SCOPES] : input.scopes;
        assertWithinGrant(caller, { scopes, channels: input.channels?.length ? input.channels : null, tier: input.tier, limits: input.limits }, 'create');
        assertWithinReach(caller, { cidrs: input.allowedCidrs?.length ? input.allowedCidrs : null, expiresAt: input.expiresAt ?? null }, 'create');
      }
      const created = await this.insert(m, input, actor, null);
      await this.audit.record({ action: AUDIT.created, actorKeyId: actor.keyId ?? null, subjectType: 'api_key', subjectId: created.record.keyId, requestId: actor.requestId, ip: actor.ip, details: this.describe(created.record, actor) }, m);
      return created;
    });
  }

  private describe(r: ApiKeyRecord, actor: Actor): Record<string, unknown> {
    return { name: r.name, environment: r.environment, scopes: r.scopes, tier: r.tier, channels: r.channels, by: actor.keyId ?? actor.label ?? null };
  }

  private async insert(m: EntityManager, input: CreateKeyInput, actor: Actor, rotatedFrom: string | null): Promise<CreatedKey> {
    const { key, keyId, secret } = generateKey(input.environment);
    const scopes = input.scopes === 'all' ? [...SCOPES] : [...new Set(input.scopes)];
    const rows: ApiKeyRow[] = await m.query(
      `INSERT INTO api_keys (key_id, environment, name, application, metadata, scopes, channels, tier, limits, allowed_cidrs,
                             secret_hash, pepper_version, secret_start, expires_at, created_by, rotated_from)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING *`,
      [
        keyId, input.environment, input.name.trim(), input.application ?? null, input.metadata ?? {}, scopes,
        input.channels?.length ? [...new Set(input.channels)] : null, input.tier, input.limits ? JSON.stringify(input.limits) : null,
        ApiKeysService.cidrs(input.allowedCidrs), this.peppers.hash(secret), this.peppers.current, secret.slice(0, 4),
        input.expiresAt ?? null, actor.keyId ?? actor.label ?? null, rotatedFrom,
      ],
    );
    return { key, record: toRecord(returned(rows)) };
  }

  async list(opts: { limit?: number; cursor?: string } = {}): Promise<{ data: ApiKeyRecord[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 200);
    const params: unknown[] = [];
    const arg = (v: unknown) => (params.push(v), `$${params.length}`);
    const where = opts.cursor ? `WHERE ${afterTimeCursor(decodeTimeCursor(opts.cursor, KEY_ID_PATTERN), arg, 'key_id', 'text')}` : '';
    const rows: (ApiKeyRow & { cursor_at: string })[] = await this.ds.query(
      `SELECT *, ${CURSOR_AT} AS cursor_at FROM api_keys ${where} ORDER BY created_at DESC, key_id DESC LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toRecord),
      nextCursor: rows.length > limit ? encodeTimeCursor(last.cursor_at, last.key_id) : null,
    };
  }

  private async row(keyId: string, m: EntityManager = this.ds.manager, lock = false): Promise<ApiKeyRow> {
    if (!KEY_ID_PATTERN.test(keyId)) throw notFound(`API key ${keyId.slice(0, 40)}`);
    const rows: ApiKeyRow[] = await m.query(`SELECT * FROM api_keys WHERE key_id = $1 ${lock ? 'FOR UPDATE' : ''}`, [keyId]);
    if (!rows[0]) throw notFound(`API key ${keyId}`);
    return rows[0];
  }

  async get(keyId: string): Promise<ApiKeyRecord> {
    return toRecord(await this.row(keyId));
  }

  async patch(keyId: string, input: PatchKeyInput, actor: Actor = {}): Promise<ApiKeyRecord> {
    this.check(input, false);
    const record = await this.ds.transaction(async (m) => {
      const before = await this.row(keyId, m, true);
      const caller = await this.grantor(actor, m);
      if (caller) {
        // Control of the key as it is, then the grant of what it becomes.
        assertWithinGrant(caller, ApiKeysService.grantOf(before), 'change');
        assertWithinGrant(caller, {
          scopes: input.scopes === undefined ? before.scopes : input.scopes === 'all' ? [...SCOPES] : input.scopes,
          channels: input.channels === undefined ? ApiKeysService.grantOf(before).channels : input.channels?.length ? input.channels : null,
          tier: input.tier ?? before.tier,
          limits: input.limits === undefined ? before.limits : input.limits,
        }, 'grant');
        // Only what this change sets (undefined: left as it is): a caller may still rename or narrow
        // a key that reaches further than it does.
        assertWithinReach(caller, { cidrs: input.allowedCidrs === undefined ? undefined : input.allowedCidrs?.length ? input.allowedCidrs : null, expiresAt: input.expiresAt }, 'grant');
      }
      if (input.expiresAt !== undefined) ApiKeysService.assertExpiryChangeable(before);
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (col: string, v: unknown) => {
        params.push(v);
        sets.push(`${col} = $${params.length}`);
      };
      const changes: Record<string, unknown> = {};
      if (input.name !== undefined) set('name', input.name.trim());
      if (input.application !== undefined) set('application', input.application);
      if (input.metadata !== undefined) set('metadata', input.metadata);
      if (input.scopes !== undefined) {
        const scopes = input.scopes === 'all' ? [...SCOPES] : [...new Set(input.scopes)];
        set('scopes', scopes);
        changes.scopes = { from: before.scopes, to: scopes };
      }
      if (input.tier !== undefined) {
        set('tier', input.tier);
        changes.tier = { from: before.tier, to: input.tier };
      }
      if (input.limits !== undefined) {
        set('limits', input.limits ? JSON.stringify(input.limits) : null);
        changes.limits = { from: before.limits, to: input.limits };
      }
      if (input.channels !== undefined) {
        const ch = input.channels?.length ? [...new Set(input.channels)] : null;
        set('channels', ch);
        changes.channels = { from: before.channels, to: ch };
      }
      if (input.allowedCidrs !== undefined) {
        const c = ApiKeysService.cidrs(input.allowedCidrs);
        set('allowed_cidrs', c);
        changes.allowedCidrs = { from: before.allowed_cidrs, to: c };
      }
      if (input.expiresAt !== undefined) {
        set('expires_at', input.expiresAt);
        changes.expiresAt = { from: before.expires_at, to: input.expiresAt };
      }
      if (!sets.length) return toRecord(before);
      params.push(keyId);
      const updated = returned(await m.query(`UPDATE api_keys SET ${sets.join(', ')}, updated_at = now() WHERE key_id = $${params.length} RETURNING *`, params));
      await this.audit.record({ action: AUDIT.patched, actorKeyId: actor.keyId ?? null, subjectType: 'api_key', subjectId: keyId, requestId: actor.requestId, ip: actor.ip, details: { fields: Object.keys(input), changes, by: actor.keyId ?? actor.label ?? null } }, m);
      return toRecord(updated);
    });
    await this.cache.announce(keyId);
    return record;
  }

  /**
   * expiresAt cannot bring a revoked or expired key back, nor move the end a rotation gave the old
   * key (revoke it to end it sooner).
   */
  private static assertExpiryChangeable(row: ApiKeyRow): void {
    const keyId = row.key_id;
    if (row.revoked_at) throw new ProblemException(409, 'key-revoked', `API key ${keyId} is revoked; its expiresAt cannot change`, { extensions: { field: 'expiresAt' } });
    if (row.rotated_to) {
      throw new ProblemException(409, 'key-already-rotated', `API key ${keyId} was rotated to ${row.rotated_to} and expires when the rotation said; revoke it to end it sooner`, {
        extensions: { field: 'expiresAt', rotatedTo: row.rotated_to },
      });
    }
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) {
      throw new ProblemException(409, 'key-expired', `API key ${keyId} has expired and cannot be revived (nor rotated); create a new key`, { extensions: { field: 'expiresAt' } });
    }
  }

  /**
   * `expiresAt`: the new key's expiry (null: never); undefined keeps the old key's, so a key meant
   * to end on a date still does after a rotation, unless the caller says otherwise.
   */
  async rotate(keyId: string, overlapSeconds: number | undefined, actor: Actor = {}, expiresAt?: Date | null): Promise<CreatedKey & { previous: ApiKeyRecord }> {
    const overlap = overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS;
    if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_OVERLAP_SECONDS) {
      throw validationFailed([{ field: 'overlapSeconds', message: `must be an integer from 0 to ${MAX_OVERLAP_SECONDS}` }]);
    }
    if (expiresAt !== undefined) this.check({ expiresAt }, false);
    const result = await this.ds.transaction(async (m) => {
      const old = await this.row(keyId, m, true);
      // The new key copies the old one's grant: rotating is minting.
      const caller = await this.grantor(actor, m);
      const newExpiry = expiresAt === undefined ? old.expires_at : expiresAt;
      if (caller) {
        assertWithinGrant(caller, ApiKeysService.grantOf(old), 'rotate');
        assertWithinReach(caller, { ...ApiKeysService.reachOf(old), expiresAt: newExpiry }, 'rotate into');
      }
      if (old.revoked_at) throw new ProblemException(409, 'key-revoked', `API key ${keyId} is revoked and cannot be rotated`);
      if (old.expires_at && old.expires_at.getTime() <= Date.now()) throw new ProblemException(409, 'key-expired', `API key ${keyId} has expired and cannot be rotated`);
      if (old.rotated_to) throw new ProblemException(409, 'key-already-rotated', `API key ${keyId} was already rotated to ${old.rotated_to}`, { extensions: { rotatedTo: old.rotated_to } });
      const created = await this.insert(
        m,
        {
          name: old.name, environment: old.environment, scopes: old.scopes, tier: old.tier, limits: old.limits, channels: old.channels,
          allowedCidrs: old.allowed_cidrs, expiresAt: newExpiry, metadata: old.metadata, application: old.application,
        },
        actor,
        keyId,
      );
      // The old key keeps working for the overlap (never longer than it would have anyway), then expires.
      const old2 = returned(await m.query(
        `UPDATE api_keys SET rotated_to = $2, updated_at = now(),
                expires_at = LEAST(COALESCE(expires_at, 'infinity'::timestamptz), now() + make_interval(secs => $3))
          WHERE key_id = $1 RETURNING *`,
        [keyId, created.record.keyId, overlap],
      ));
      await this.audit.record({ action: AUDIT.rotated, actorKeyId: actor.keyId ?? null, subjectType: 'api_key', subjectId: keyId, requestId: actor.requestId, ip: actor.ip, details: { rotatedTo: created.record.keyId, overlapSeconds: overlap, oldExpiresAt: old2.expires_at, by: actor.keyId ?? actor.label ?? null } }, m);
      return { ...created, previous: toRecord(old2) };
    });
    await this.cache.announce(keyId);
    return result;
  }

  async revoke(keyId: string, reason: string, actor: Actor = {}): Promise<ApiKeyRecord> {
    // Checked here, not only in the DTO, so the CLI's --reason obeys it too: the first reason is the
    // one kept, so a blank one would be the forensic record forever.
    const why = typeof reason === 'string' ? reason.trim() : '';
    if (!why || why.length > REVOKE_REASON_MAX) throw validationFailed([{ field: 'reason', message: REVOKE_REASON_RULE }]);
    const record = await this.ds.transaction(async (m) => {
      const old = await this.row(keyId, m, true);
      const caller = await this.grantor(actor, m);
      if (caller) assertWithinGrant(caller, ApiKeysService.grantOf(old), 'revoke');
      // Revoking twice keeps the first revocation's time and reason (the forensic fact).
      if (old.revoked_at) return toRecord(old);
      const revoked = returned(await m.query(
        `UPDATE api_keys SET revoked_at = now(), revoked_reason = $2, revoked_by = $3, updated_at = now() WHERE key_id = $1 RETURNING *`,
        [keyId, why, actor.keyId ?? actor.label ?? null],
      ));
      await this.audit.record({ action: AUDIT.revoked, actorKeyId: actor.keyId ?? null, subjectType: 'api_key', subjectId: keyId, requestId: actor.requestId, ip: actor.ip, details: { reason: why, by: actor.keyId ?? actor.label ?? null } }, m);
      return toRecord(revoked);
    });
    await this.cache.announce(keyId);
    return record;
  }

  async usage(keyId: string, from: Date, to: Date, granularity: 'hour' | 'day'): Promise<UsagePoint[]> {
    await this.row(keyId);
    return (await this.usageBuckets({ from, to }, keyId, granularity)).map((b) => ({
      start: b.start,
      requests: b.requests,
      errors4xx: b.errors4xx,
      errors5xx: b.errors5xx,
      avgLatencyMs: b.requests && b.latencySumMs !== null ? Math.round((b.latencySumMs / b.requests) * 100) / 100 : null,
      maxLatencyMs: b.latencyMaxMs === null ? null : Math.round(b.latencyMaxMs * 100) / 100,
    }));
  }

  /**
   * Every UTC hour or day whose start is in [from, to), empty ones included, with the sums of the
   * hourly usage rows it holds: of one key, or of every key (null). The one reading of the usage
   * series, behind GET /v1/keys/:keyId/usage and GET /v1/analytics/usage.
   */
  async usageBuckets(w: TimeWindow, keyId: string | null, granularity: 'hour' | 'day'): Promise<UsageBucketSums[]> {
    const rows: { start: string; requests: string; e4: string; e5: string; lat_sum: number | null; lat_max: number | null }[] = await this.ds.query(
      `SELECT ${USAGE_BUCKET_START} AS start,
              sum(requests) AS requests, sum(errors_4xx) AS e4, sum(errors_5xx) AS e5, sum(latency_ms_sum) AS lat_sum, max(latency_ms_max) AS lat_max
         FROM api_key_usage_hourly
        WHERE ${USAGE_BUCKET_ROWS}
        GROUP BY 1`,
      [w.from, w.to, granularity, keyId],
    );
    const byStart = new Map(rows.map((r) => [r.start, r]));
    const step = granularity === 'hour' ? 3_600_000 : 86_400_000;
    const out: UsageBucketSums[] = [];
    // The first bucket starting at or after `from`: the rows are read from `from` on, so a bucket
    // starting before it would hold only part of its rows (none, for an hour) and read as quiet.
    for (let t = Math.ceil(w.from.getTime() / step) * step; t < w.to.getTime(); t += step) {
      const start = new Date(t).toISOString();
      const r = byStart.get(start);
      out.push({
        start,
        requests: Number(r?.requests ?? 0),
        errors4xx: Number(r?.e4 ?? 0),
        errors5xx: Number(r?.e5 ?? 0),
        latencySumMs: r?.lat_sum ?? null,
        latencyMaxMs: r?.lat_max ?? null,
      });
    }
    return out;
  }
}
