/**
 * Publish and delist jobs. Job ids carry the product version, but every job of one (SKU, channel)
 * shares one deduplication id, so at most one of them waits or runs at a time; the job acts on the
 * latest wanted state it reads from product_channels, not on the version it was enqueued for.
 */
export const CATALOG_PUBLISH_QUEUE = 'catalog-publish';
export const PUBLISH_JOB = 'publish';
export const DELIST_JOB = 'delist';
export const publishDedupId = (channel: string, sku: string) => `listing-${channel}-${encodeURIComponent(sku)}`;

/** Review pulls from the channels that offer reviews, and the pending-publish sweep. */
export const CATALOG_MAINTENANCE_QUEUE = 'catalog-maintenance';
export const PULL_REVIEWS_JOB = 'pull-reviews';
export const SWEEP_PENDING_JOB = 'sweep-pending';

/** SKUs: upper-case letters and digits, then `.`, `_` or `-` allowed; 3 to 64 characters. */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9._-]{2,63}$/;

/** ISO 4217 codes we sell in (Razorpay settles these; amounts are 2-decimal currencies). */
export const SUPPORTED_CURRENCIES = ['INR', 'USD', 'EUR', 'GBP', 'AED', 'SGD', 'AUD', 'CAD', 'CHF', 'SAR', 'QAR', 'MYR', 'HKD', 'NZD', 'THB'] as const;

export const PRODUCT_CHANNEL_STATUSES = ['pending', 'published', 'failed', 'paused'] as const;
export type ProductChannelStatus = (typeof PRODUCT_CHANNEL_STATUSES)[number];
