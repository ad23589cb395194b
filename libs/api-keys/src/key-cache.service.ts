import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuthContext, Cidr, CoreConfig, MetricsService, parseCidr, REDIS, REDIS_SUBSCRIBER, Scope, scopeMask } from '@hub/core';
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { ApiKeysConfig } from './api-keys.config';
import type { ApiKeyRow } from './api-key.record';
import { EffectiveLimits, effectiveLimits, KEY_CHANGED_CHANNEL, rateLimitPolicy } from './constants';
import type { KeyEnvironment, ParsedKey } from './key-format';
import type { Bucket } from './limits/burst-limiter';
import type { Lease } from './limits/quota-lease.service';
import type { UsageCell } from './usage/usage-recorder.service';

/** A key record prepared for the hot path: everything the guard needs, nothing it must compute. */
export interface CachedKey {
  keyId: string;
  environment: KeyEnvironment;
  hash: Buffer;
  pepperVersion: number;
  scopes: ReadonlySet<Scope>;
  /** `scopes` as bits (core's scopeMask), what the guard checks. */
  scopeMask: number;
  cidrs: Cidr[] | null;
  expiresAtMs: number | null;
  /** revoked_at is set (the database's now(): a revocation is never scheduled, so any value means revoked). */
  revoked: boolean;
  limits: EffectiveLimits;
  /** `RateLimit-Policy` value, computed once per record. */
  policy: string;
  /** Shared by every request of this key (never mutated), so authenticated requests allocate nothing for it. */
  auth: AuthContext;
  loadedAt: number;
  /**
   * The parsed key once its secret has matched the hash (see ApiKeyGuard.secretMatches). The guard
   * hands out this same object for later requests carrying the same header, so they are recognised
   * by identity.
   */
  verified?: ParsedKey;
  /**
   * Set when this record stops being the cache's copy (evicted, replaced by a refresh, or loaded
   * while an eviction raced and never cached): whoever kept a reference must look it up again.
   */
  dropped?: boolean;
  /**
   * This key's burst bucket, quota lease and usage cell, as last found by the limiters: the usual
   * request reaches them without a Map lookup each (each holder is checked for staleness first).
   */
  bucket?: Bucket;
  lease?: Lease;
  usage?: UsageCell;
  /**
   * The `RateLimit` value last sent for this key when it has no quota, and the remaining count it
   * shows. A key far from its burst limit shows the same count request after request (its bucket
   * refills faster than it drains), so the string is built once rather than per request.
   */
  burstRemaining: number;
  burstRateLimit: string;
}

/** Stale records gathered for this long go out in one query (of at most REFRESH_BATCH keys). */
const REFRESH_GATHER_MS = 20;
const REFRESH_BATCH = 1000;

const KEY_COLUMNS = `key_id, environment, name, scopes, channels, tier, limits, allowed_cidrs, secret_hash, pepper_version, expires_at, revoked_at`;

export function toCachedKey(row: ApiKeyRow, now = Date.now()): CachedKey {
  const scopes = new Set(row.scopes);
  const limits = effectiveLimits(row.tier, row.limits);
  return {
    keyId: row.key_id,
    environment: row.environment,
    hash: row.secret_hash,
    pepperVersion: row.pepper_version,
    scopes,
    scopeMask: scopeMask(scopes),
    cidrs: row.allowed_cidrs?.length ? row.allowed_cidrs.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null) : null,
    expiresAtMs: row.expires_at ? row.expires_at.getTime() : null,
    revoked: !!row.revoked_at,
    limits,
    policy: rateLimitPolicy(limits),
    auth: Object.freeze({
      keyId: row.key_id,
      name: row.name,
      environment: row.environment,
      scopes,
      channels: row.channels?.length ? Object.freeze([...row.channels]) : null,
      tier: row.tier,
    }),
    loadedAt: now,
    // Declared up front: every record then has one shape, and the guard's accesses stay monomorphic.
    verified: undefined,
    bucket: undefined,
    lease: undefined,
    usage: undefined,
    burstRemaining: -1,
    burstRateLimit: '',
    dropped: false,
  };
}

/**
 * In-process cache of key records by keyId. A miss costs one Postgres query shared by every
 * concurrent request for that keyId (single-flight); unknown keyIds are remembered briefly so a
 * storm of one made-up id costs one query. Records past API_KEY_CACHE_TTL_MS are served while they
 * are re-read in the background, many keys per query. Changes are announced over Redis pub/sub and evict the
 * entry on every instance; when the subscription drops, the whole cache is dropped because
 * announcements may have been missed.
 */
@Injectable()
export class KeyCacheService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeyCache');
  private readonly entries = new Map<string, CachedKey>();
  private readonly negative = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<CachedKey | null>>();
  /** Records past their TTL waiting for the next batched refresh. */
  private readonly stale = new Set<string>();
  private refreshTimer: NodeJS.Timeout | null = null;
  /** Batched refresh queries made (tests read it). */
  refreshQueries = 0;
  /** Bumped by every eviction: a load that raced with one is answered but not cached. */
  private epoch = 0;
  private readonly channel: string;
  private readonly lookups: Counter;
  /** Postgres lookups made by this instance (the benchmark and tests read it). */
  dbLookups = 0;
  private readonly onMessage = (ch: string, msg: string) => {
    if (ch === this.channel) this.evict(msg);
  };
  private readonly onReady = () => this.clear();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
    private readonly cfg: ApiKeysConfig,
    core: CoreConfig,
    metrics: MetricsService,
  ) {
    this.channel = `${core.REDIS_PREFIX}:${KEY_CHANGED_CHANNEL}`;
    this.lookups = metrics.counter('api_key_db_lookups_total', 'API key records read from Postgres (cache misses)');
  }

  async onModuleInit(): Promise<void> {
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('ready', this.onReady);
    await this.subscriber.subscribe(this.channel);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  /** undefined: not known here (load it); null: known not to exist (recently). */
  peek(keyId: string, now: number): CachedKey | null | undefined {
    const hit = this.entries.get(keyId);
    if (hit) {
      // Past its TTL the record is refreshed in the background and served meanwhile: changes are
      // announced over pub/sub, the TTL only bounds how long a missed announcement can last.
      if (now - hit.loadedAt >= this.cfg.API_KEY_CACHE_TTL_MS && !this.stale.has(keyId) && !this.inflight.has(keyId)) this.queueRefresh(keyId);
      return hit;
    }
    const neg = this.negative.get(keyId);
    if (neg !== undefined) {
      if (neg > now) return null;
      this.negative.delete(keyId);
    }
    return undefined;
  }

  load(keyId: string): Promise<CachedKey | null> {
    let p = this.inflight.get(keyId);
    if (!p) {
      p = this.fetch(keyId).finally(() => this.inflight.delete(keyId));
      this.inflight.set(keyId, p);
    }
    return p;
  }

  private async fetch(keyId: string): Promise<CachedKey | null> {
    const epoch = this.epoch;
    this.dbLookups++;
    this.lookups.inc();
    const rows: ApiKeyRow[] = await this.ds.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_id = $1`, [keyId]);
    const now = Date.now();
    const entry = rows[0] ? toCachedKey(rows[0], now) : null;
    if (epoch !== this.epoch) {
      // Answered but not cached: a change raced with this load, so no one may keep this copy.
      if (entry) entry.dropped = true;
    } else {
      if (entry) {
        this.install(entry);
      } else if (this.cfg.API_KEY_NEGATIVE_CACHE_MS > 0) {
        // Bounded like the positive cache: a storm of distinct made-up ids must not grow memory.
        if (this.negative.size >= this.cfg.API_KEY_CACHE_MAX) this.negative.delete(this.negative.keys().next().value as string);
        this.negative.set(keyId, now + this.cfg.API_KEY_NEGATIVE_CACHE_MS);
      }
    }
    return entry;
  }

  evict(keyId: string): void {
    this.epoch++;
    this.drop(keyId);
    this.negative.delete(keyId);
  }

  clear(): void {
    this.epoch++;
    for (const e of this.entries.values()) e.dropped = true;
    this.entries.clear();
    this.negative.clear();
  }

  /** Whether a record held since an earlier request can still be used as is (not dropped, within its TTL). */
  fresh(entry: CachedKey, now: number): boolean {
    return entry.dropped !== true && now - entry.loadedAt < this.cfg.API_KEY_CACHE_TTL_MS;
  }

  /**
   * Caches a record read from Postgres. Replacing a copy of the same key (a refresh), what the old
   * copy learnt carries over: that a secret matched (only if the hash and pepper version are the
   * same, which they always are for one keyId: secrets never change, rotation makes a new key),
   * and the limiter state it held. The old copy is dropped so no one keeps using it.
   */
  private install(entry: CachedKey): void {
    const old = this.entries.get(entry.keyId);
    if (old !== undefined) {
      if (old.pepperVersion === entry.pepperVersion && old.hash.equals(entry.hash)) entry.verified = old.verified;
      entry.bucket = old.bucket;
      entry.lease = old.lease;
      entry.usage = old.usage;
      old.dropped = true;
      this.entries.delete(entry.keyId);
    } else if (this.entries.size >= this.cfg.API_KEY_CACHE_MAX) {
      this.drop(this.entries.keys().next().value as string);
    }
    this.entries.set(entry.keyId, entry);
  }

  /**
   * Records past their TTL are re-read together: thousands of keys loaded at the same moment
   * expire together, and one query per key would be a burst of thousands of queries every TTL.
   */
  private queueRefresh(keyId: string): void {
    this.stale.add(keyId);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshStale();
    }, REFRESH_GATHER_MS);
    this.refreshTimer.unref();
  }

  private async refreshStale(): Promise<void> {
    const ids = [...this.stale];
    for (let i = 0; i < ids.length; i += REFRESH_BATCH) {
      const chunk = ids.slice(i, i + REFRESH_BATCH);
      const epoch = this.epoch;
      try {
        this.refreshQueries++;
        const rows: ApiKeyRow[] = await this.ds.query(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_id = ANY($1::text[])`, [chunk]);
        // A change raced with the read: keep the stale copies (served, and queued again on next use).
        if (epoch !== this.epoch) continue;
        const now = Date.now();
        const found = new Map(rows.map((r) => [r.key_id, r]));
        for (const id of chunk) {
          const row = found.get(id);
          if (row) this.install(toCachedKey(row, now));
          else this.drop(id);
        }
      } catch (err) {
        this.logger.warn({ err, keys: chunk.length }, 'background key refresh failed; stale records are served and retried on next use');
      } finally {
        for (const id of chunk) this.stale.delete(id);
      }
    }
  }

  private drop(keyId: string): void {
    const e = this.entries.get(keyId);
    if (e === undefined) return;
    e.dropped = true;
    this.entries.delete(keyId);
  }

  /** Evicts here at once and tells every other instance; call after the change has committed. */
  async announce(keyId: string): Promise<void> {
    this.evict(keyId);
    try {
      await this.redis.publish(this.channel, keyId);
    } catch (err) {
      // The change is committed; other instances converge within API_KEY_CACHE_TTL_MS at worst.
      this.logger.error({ err, keyId }, 'could not announce a key change over Redis');
    }
  }
}
