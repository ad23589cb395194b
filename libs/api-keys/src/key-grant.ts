import { Channel, cidrWithin, parseCidr, ProblemException, Scope, Tier, TIERS } from '@hub/core';
import { effectiveLimits, LimitOverrides, QuotaLimit } from './constants';

/** What a key holds, as far as handing out or controlling other keys goes. */
export interface KeyGrant {
  scopes: readonly Scope[];
  /** null: every channel. */
  channels: readonly Channel[] | null;
  tier: Tier;
  limits: LimitOverrides | null | undefined;
}

/** free < standard < gold < internal. */
export const tierRank = (t: Tier): number => TIERS.indexOf(t);

/**
 * Whether a quota fits inside the caller's in every window: same period, a limit no higher; a
 * monthly quota no higher than the caller's daily limit (it could all be spent in one day); a
 * daily quota whose 31 days fit in the caller's month. No quota only under no quota.
 */
export function quotaWithin(q: QuotaLimit | null, own: QuotaLimit | null): boolean {
  if (own === null) return true;
  if (q === null) return false;
  if (q.period === own.period) return q.limit <= own.limit;
  return q.period === 'month' ? q.limit <= own.limit : q.limit * 31 <= own.limit;
}

/**
 * A key can never mint or control more than it has (GitHub fine-grained tokens, Stripe restricted
 * keys): `target` (a key being created, or a key being changed, rotated or revoked, before and
 * after the change) must hold only scopes and channels the caller holds, a tier at or below the
 * caller's, and limit overrides not above the caller's own effective limits, unless the caller's
 * tier is `internal`. `verb` only shapes the message.
 */
export function assertWithinGrant(caller: KeyGrant, target: KeyGrant, verb: string): void {
  const missing = target.scopes.find((s) => !caller.scopes.includes(s));
  if (missing) {
    throw new ProblemException(403, 'insufficient-scope', `Your key cannot ${verb} a key with the ${missing} scope: it does not hold that scope`, {
      extensions: { requiredScope: missing, requiredScopes: [missing] },
    });
  }
  if (caller.channels && (!target.channels || target.channels.some((c) => !caller.channels!.includes(c)))) {
    throw new ProblemException(403, 'channel-not-allowed', `Your key is bound to ${caller.channels.join(', ')} and cannot ${verb} a key bound to ${target.channels?.join(', ') ?? 'every channel'}`, {
      extensions: { allowedChannels: caller.channels },
    });
  }
  if (tierRank(target.tier) > tierRank(caller.tier)) {
    throw new ProblemException(403, 'tier-not-allowed', `Your key is on the ${caller.tier} tier and cannot ${verb} a key on the ${target.tier} tier`, {
      extensions: { field: 'tier', maxTier: caller.tier },
    });
  }
  if (caller.tier === 'internal' || !target.limits) return;
  const own = effectiveLimits(caller.tier, caller.limits);
  const refuse = (field: string, what: string) =>
    new ProblemException(403, 'limits-not-allowed', `Your key cannot ${verb} a key whose ${what} is above your key's own`, {
      extensions: { field, ownLimits: own },
    });
  const o = target.limits;
  if (o.burstPerSecond !== undefined && o.burstPerSecond > own.burstPerSecond) throw refuse('limits.burstPerSecond', `burstPerSecond (${o.burstPerSecond})`);
  if (o.quota !== undefined && !quotaWithin(o.quota, own.quota)) throw refuse('limits.quota', o.quota ? `quota (${o.quota.limit} per ${o.quota.period})` : 'quota (none)');
}

/**
 * Where and until when a key works: its allowed CIDRs (null: any address) and its expiry (null:
 * never). In a target, undefined means "not changed here", which is never refused.
 */
export interface KeyReach {
  cidrs?: readonly string[] | null;
  expiresAt?: Date | null;
}

/**
 * A caller held to some addresses or to an end date cannot hand out a key without them: otherwise
 * a stolen key that only works from the merchant's network, or only until Friday, mints one that
 * works from anywhere, forever. `target` is what a key becomes (created, changed or minted by a
 * rotation); restricting or revoking a wider key is never refused here. Applies to every tier.
 */
export function assertWithinReach(caller: KeyReach, target: KeyReach, verb: string): void {
  if (caller.cidrs && target.cidrs !== undefined) {
    const own = caller.cidrs.map((c) => parseCidr(c)).filter((c) => c !== null);
    const outside = target.cidrs === null ? null : target.cidrs.find((t) => {
      const c = parseCidr(t);
      return c === null || !own.some((o) => cidrWithin(c, o));
    });
    if (target.cidrs === null || outside !== undefined) {
      throw new ProblemException(403, 'cidrs-not-allowed', `Your key only works from ${caller.cidrs.join(', ')} and cannot ${verb} a key that works from ${outside ?? 'any address'}`, {
        extensions: { field: 'allowedCidrs', allowedCidrs: caller.cidrs },
      });
    }
  }
  if (caller.expiresAt && target.expiresAt !== undefined && (target.expiresAt === null || target.expiresAt.getTime() > caller.expiresAt.getTime())) {
    throw new ProblemException(403, 'expiry-not-allowed', `Your key expires at ${caller.expiresAt.toISOString()} and cannot ${verb} a key that ${target.expiresAt ? `expires later (${target.expiresAt.toISOString()})` : 'never expires'}`, {
      extensions: { field: 'expiresAt', maxExpiresAt: caller.expiresAt.toISOString() },
    });
  }
}
