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
