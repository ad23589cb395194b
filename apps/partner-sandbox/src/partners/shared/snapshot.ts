/**
 * The `listings` array of a partner's saved snapshot, or none when the file holds something else
 * (an older or hand-edited file must not stop the sandbox from starting).
 */
export function listingsOf(data: unknown): object[] {
  const listings = (data as { listings?: unknown } | null)?.listings;
  return Array.isArray(listings) ? listings.filter((l): l is object => typeof l === 'object' && l !== null && typeof (l as { sku?: unknown }).sku === 'string') : [];
}
