/** Per-channel allocation (ChannelEngine's model): what share of available stock a channel may offer. */
export interface AllocationRule {
  /** Units held back from this channel (oversell protection for slow channels). */
  safetyBuffer: number;
  /** Never offer more than this; null: no cap. */
  maxQuantity: number | null;
  /** Share of (available - buffer) offered, 0..100, rounded down. */
  percentage: number;
}

export const DEFAULT_ALLOCATION_RULE: AllocationRule = Object.freeze({ safetyBuffer: 0, maxQuantity: null, percentage: 100 });

/** The quantity a channel should show. Never negative, never above `available`. */
export function allocate(available: number, rule: AllocationRule = DEFAULT_ALLOCATION_RULE): number {
  const avail = Math.max(0, Math.floor(available));
  let q = Math.floor((Math.max(0, avail - rule.safetyBuffer) * rule.percentage) / 100);
  if (rule.maxQuantity !== null && rule.maxQuantity !== undefined) q = Math.min(q, rule.maxQuantity);
  return Math.max(0, Math.min(q, avail));
}
