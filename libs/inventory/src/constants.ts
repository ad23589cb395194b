/** Queue carrying one coalesced push per (channel, SKU); job data holds ids only. */
export const INVENTORY_SYNC_QUEUE = 'inventory-sync';
export const SYNC_JOB = 'sync';
export const RECONCILE_JOB = 'reconcile';
export const SWEEP_JOB = 'sweep';
/** Postgres NOTIFY channel raised (on commit) by every outbox insert. */
export const OUTBOX_NOTIFY_CHANNEL = 'inventory_outbox';
export const LOG_CONTEXT = 'Inventory';

/** BullMQ job ids and dedup ids must not contain ':'; SKUs might, so they are encoded. */
export const syncDedupId = (channel: string, sku: string) => `sync-${channel}-${encodeURIComponent(sku)}`;
