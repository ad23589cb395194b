import { Channel, CHANNELS } from '@hub/core';

/**
 * One queue per channel, carrying one coalesced push per (channel, SKU); job data holds ids only.
 * Separate queues so a slow or throttled channel (Amazon: 5 calls/s) never holds the workers
 * another channel needs.
 */
export const syncQueueName = (channel: Channel) => `inventory-sync-${channel}`;
export const SYNC_QUEUES = CHANNELS.map(syncQueueName);
/** Reconciliation and other maintenance, apart from the pushes. */
export const INVENTORY_MAINTENANCE_QUEUE = 'inventory-maintenance';
export const SYNC_JOB = 'sync';
export const RECONCILE_JOB = 'reconcile';
export const SWEEP_JOB = 'sweep';
export const LOG_CONTEXT = 'Inventory';

/** BullMQ job ids and dedup ids must not contain ':'; SKUs might, so they are encoded. */
export const syncDedupId = (channel: string, sku: string) => `sync-${channel}-${encodeURIComponent(sku)}`;
