import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CoreConfig, REDIS } from '@hub/core';
import type { Redis } from 'ioredis';
import type { QuotaLimit } from '../constants';
import { InstanceRegistryService } from './instance-registry.service';
import { quotaKeyPrefix, quotaPeriod } from './quota-period';

/**
 * Grants up to ARGV[2] units of the period's quota, never more than what is left, and never more
 * than a fair share of what is left (remaining / (2 x instances)) so leases shrink as the quota
 * nears its end and the last units are spread instead of stranded on one instance.
 * Returns {granted, usedAfter}.
 */
const LEASE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
local remaining = limit - used
if remaining <= 0 then return {0, used} end
local share = math.floor(remaining / (2 * tonumber(ARGV[3])))
if share < 1 then share = 1 end
local grant = math.min(tonumber(ARGV[2]), share, remaining)
used = redis.call('INCRBY', KEYS[1], grant)
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return {grant, used}
`;

/** Gives back units leased but not used (idle key, shutdown), so other instances can spend them. */
const RETURN_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local back = math.min(tonumber(ARGV[1]), used)
if back > 0 then redis.call('DECRBY', KEYS[1], back) end
return back
`;

export interface Lease {
  /** Set when the lease leaves the map (given back, replaced, forgotten): holders must look again. */
  dead: boolean;
  period: QuotaLimit['period'];
  periodId: string;
  endsAt: number;
  tokens: number;
  /** The quota's global use right after our last lease (for the RateLimit header). */
  usedGlobal: number;
  limit: number;
  /** Next lease size: doubles while the key spends leases quickly. */
  want: number;
  leasedAt: number;
  lastUse: number;
  exhaustedUntil: number;
  pending: Promise<void> | null;
}

/** `periodId`: the period the unit was taken from, for refund(). */
export type QuotaDecision = { ok: true; remaining: number; resetSeconds: number; periodId: string } | { ok: false; retryAfter: number; resetSeconds: number };

const MAX_LEASE = 1000;
/** First lease of a key: a thousandth of its quota (10..MAX_LEASE); the script shrinks it near the end anyway. */
const initialLease = (limit: number) => Math.max(10, Math.min(MAX_LEASE, Math.floor(limit / 1000)));
/** Idle this long, a key near the end of its quota gives its leased units back (others may need them). */
const IDLE_RETURN_MS = 2000;
/**
 * Idle this long, any key gives them back. A key with plenty of quota left keeps its lease through
 * short pauses: giving back and leasing again after every 2 s pause cost two Redis calls per key
 * per pause (5,000 keys calling every few seconds meant thousands a second) and bought nothing,
 * since other instances' leases are not short of units then.
 */
const IDLE_KEEP_MS = 30_000;

/**
 * Units held here matter to other instances once they are a tenth of what Redis still has, or the
 * quota is in its last fifth (as of our last lease: other instances may have leased since).
 */
function nearEnd(lease: Lease): boolean {
  const left = lease.limit - lease.usedGlobal;
  return left * 5 < lease.limit || lease.tokens * 10 >= left;
}

/**
 * Exact quotas across instances without a Redis round trip per request: each instance leases
 * blocks of the period's quota with an atomic script and spends them locally. The sum of all
 * grants never exceeds the quota, so no instance can over-admit; units an idle instance holds are
 * given back after IDLE_RETURN_MS when the quota is near its end, else after IDLE_KEEP_MS.
 */
@Injectable()
export class QuotaLeaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyQuota');
  private readonly leases = new Map<string, Lease>();
  private readonly prefix: string;
  private timer: NodeJS.Timeout | null = null;
  /** Reused for every admitted request (read at once by the caller), so the hot path allocates nothing here. */
  private readonly okDecision = { ok: true as const, remaining: 0, resetSeconds: 0, periodId: '' };
  /** Lease calls made to Redis by this instance (tests and benchmark read it). */
  redisCalls = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly instances: InstanceRegistryService,
    core: CoreConfig,
  ) {
    this.prefix = quotaKeyPrefix(core.REDIS_PREFIX);
    this.redis.defineCommand('hubQuotaLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.redis.defineCommand('hubQuotaReturn', { numberOfKeys: 1, lua: RETURN_SCRIPT });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.returnIdle(Date.now()), 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.returnIdle(Date.now(), true);
  }

  /** Synchronous when a leased unit is at hand (the common case); a promise only when it must lease. */
  take(keyId: string, quota: QuotaLimit, now: number, holder?: { lease?: Lease }): QuotaDecision | Promise<QuotaDecision> {
    const lease = this.current(keyId, quota, now, holder);
    const immediate = this.spend(lease, now);
    if (immediate) return immediate;
    return this.takeSlow(keyId, lease, now);
  }

  private current(keyId: string, quota: QuotaLimit, now: number, holder?: { lease?: Lease }): Lease {
    let lease = holder?.lease;
    if (lease === undefined || lease.dead) lease = this.leases.get(keyId);
    if (!lease || lease.endsAt <= now || lease.limit !== quota.limit || lease.period !== quota.period) {
      if (lease) lease.dead = true;
      const p = quotaPeriod(quota.period, now);
      // A new period (or a changed limit): units left from the old lease are not valid any more.
      if (lease && lease.tokens > 0 && lease.endsAt > now) void this.giveBack(keyId, lease, lease.tokens);
      lease = { dead: false, period: quota.period, periodId: p.id, endsAt: p.endsAt, tokens: 0, usedGlobal: 0, limit: quota.limit, want: initialLease(quota.limit), leasedAt: 0, lastUse: now, exhaustedUntil: 0, pending: null };
      this.leases.set(keyId, lease);
    }
    if (holder) holder.lease = lease;
    return lease;
  }

  private spend(lease: Lease, now: number): QuotaDecision | null {
    const resetSeconds = Math.max(1, Math.ceil((lease.endsAt - now) / 1000));
    if (lease.tokens > 0) {
      lease.tokens--;
      lease.lastUse = now;
      const ok = this.okDecision;
      ok.remaining = Math.max(0, lease.limit - lease.usedGlobal + lease.tokens);
      ok.resetSeconds = resetSeconds;
      ok.periodId = lease.periodId;
      return ok;
    }
    if (lease.exhaustedUntil > now) return { ok: false, retryAfter: resetSeconds, resetSeconds };
    return null;
  }

  private async takeSlow(keyId: string, lease: Lease, now: number): Promise<QuotaDecision> {
    for (let attempt = 0; attempt < 50; attempt++) {
      lease.pending ??= this.lease(keyId, lease).finally(() => (lease.pending = null));
      await lease.pending;
      const d = this.spend(lease, Date.now());
      // A copy: the shared ok object may be reused by another request before our caller reads it.
      if (d) return d.ok ? { ...d } : d;
    }
    // Only reachable under extreme contention; refusing is the safe side of an exact quota.
    const resetSeconds = Math.max(1, Math.ceil((lease.endsAt - now) / 1000));
    return { ok: false, retryAfter: 1, resetSeconds };
  }

  private async lease(keyId: string, lease: Lease): Promise<void> {
    const now = Date.now();
    // Spent the last lease within a second: ask for more next time.
    if (lease.leasedAt && now - lease.leasedAt < 1000) lease.want = Math.min(MAX_LEASE, lease.want * 2);
    this.redisCalls++;
    const [granted, used] = (await (this.redis as unknown as { hubQuotaLease: (...a: unknown[]) => Promise<[number, number]> }).hubQuotaLease(
      this.prefix + keyId + ':' + lease.periodId,
      lease.limit,
      lease.want,
      this.instances.count,
      lease.endsAt + 86_400_000,
    )) as [number, number];
    lease.leasedAt = Date.now();
    lease.usedGlobal = Number(used);
    if (granted > 0) lease.tokens += Number(granted);
    // Another instance may give units back; look again in a second rather than on every request.
    else lease.exhaustedUntil = Math.min(lease.endsAt, lease.leasedAt + 1000);
  }

  /** Starts the next lease before this one runs out, so requests rarely wait on Redis. */
  prefetch(keyId: string, known?: Lease): void {
    const lease = known !== undefined && !known.dead ? known : this.leases.get(keyId);
    if (lease && !lease.pending && lease.tokens > 0 && lease.tokens * 5 < lease.want && lease.exhaustedUntil <= Date.now()) {
      lease.pending = this.lease(keyId, lease)
        .catch((err) => this.logger.warn({ err, keyId }, 'quota prefetch failed'))
        .finally(() => (lease.pending = null));
    }
  }

  private async giveBack(keyId: string, lease: Lease, n: number): Promise<void> {
    lease.tokens -= n;
    try {
      await (this.redis as unknown as { hubQuotaReturn: (...a: unknown[]) => Promise<number> }).hubQuotaReturn(this.prefix + keyId + ':' + lease.periodId, n);
    } catch (err) {
      // Units not given back are only lost for this period: never an over-admission.
      this.logger.warn({ err, keyId }, 'could not return unused quota');
    }
  }

  /** Gives back the units of idle keys (of every key with `all`, at shutdown). */
  private async returnIdle(now: number, all = false): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [keyId, lease] of this.leases) {
      if (lease.pending) continue;
      if (lease.endsAt <= now) {
        lease.dead = true;
        this.leases.delete(keyId);
        continue;
      }
      const idle = now - lease.lastUse;
      if (all || idle >= IDLE_KEEP_MS || (idle >= IDLE_RETURN_MS && nearEnd(lease))) {
        if (lease.tokens > 0) work.push(this.giveBack(keyId, lease, lease.tokens));
        lease.dead = true;
        this.leases.delete(keyId);
      }
    }
    await Promise.all(work);
  }

  /**
   * Gives back the unit a request took from `periodId` when it was then answered 401/403 by its
   * handler (CONTRACT: those do not count). Into the local lease when it is still that period's
   * (the unit is leased from the same Redis counter whatever the limit), else to the Redis counter;
   * a unit of a period that has ended is worth nothing and is dropped.
   */
  refund(keyId: string, periodId: string): void {
    const now = Date.now();
    const lease = this.leases.get(keyId);
    if (lease && lease.periodId === periodId && lease.endsAt > now) {
      lease.tokens++;
      lease.exhaustedUntil = 0;
      return;
    }
    if (quotaPeriod(periodId[0] === 'd' ? 'day' : 'month', now).id !== periodId) return;
    (this.redis as unknown as { hubQuotaReturn: (...a: unknown[]) => Promise<number> }).hubQuotaReturn(this.prefix + keyId + ':' + periodId, 1).catch((err: unknown) => {
      this.logger.warn({ err, keyId }, 'could not refund a quota unit');
    });
  }

  /**
   * Units of `periodId` this instance leased for the key and has not spent: counted as used in
   * Redis, but not used by any request yet (analytics subtracts them from the Redis figure).
   */
  unspent(keyId: string, periodId: string): number {
    const lease = this.leases.get(keyId);
    return lease && !lease.dead && lease.periodId === periodId ? lease.tokens : 0;
  }

  /** Drops local lease state of a key whose limits changed (units go back to Redis). */
  forget(keyId: string): void {
    const lease = this.leases.get(keyId);
    if (!lease) return;
    lease.dead = true;
    this.leases.delete(keyId);
    if (lease.tokens > 0) void this.giveBack(keyId, lease, lease.tokens);
  }
}
