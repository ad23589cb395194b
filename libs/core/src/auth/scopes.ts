/** Every scope a key can hold (CONTRACT "API keys"). Deny by default: a route names one of these. */
export const SCOPES = [
  'catalog:read',
  'catalog:write',
  'inventory:read',
  'inventory:write',
  'orders:read',
  'orders:write',
  'keys:read',
  'keys:write',
  'vault:read',
  'vault:write',
  'alerts:read',
  'alerts:write',
  'analytics:read',
] as const;
export type Scope = (typeof SCOPES)[number];

export const CHANNELS = ['amazon', 'nykaa', 'storefront'] as const;
export type Channel = (typeof CHANNELS)[number];

export const TIERS = ['free', 'standard', 'gold', 'internal'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Scopes as bits (by their place in SCOPES), so "does the key hold one of the route's scopes" is
 * one AND on the request path instead of Set lookups. Unknown names contribute nothing.
 */
export function scopeMask(scopes: Iterable<string>): number {
  let mask = 0;
  for (const s of scopes) {
    const i = (SCOPES as readonly string[]).indexOf(s);
    if (i >= 0) mask |= 1 << i;
  }
  return mask;
}
