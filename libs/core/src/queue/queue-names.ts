/** Housekeeping jobs: the worker heartbeat and other schedules owned by core. */
export const SYSTEM_QUEUE = 'system';
export const HEARTBEAT_JOB = 'heartbeat';
/** Deletes Idempotency-Key records past their retention (IDEMPOTENCY_RETENTION_HOURS). */
export const PURGE_IDEMPOTENCY_JOB = 'purge-idempotency';

/** Redis key (under REDIS_PREFIX) holding the last heartbeat a worker processed, in epoch ms. */
export const heartbeatKey = (prefix: string) => `${prefix}:worker:heartbeat`;
/** A heartbeat older than this means no worker is processing jobs. */
export const HEARTBEAT_MAX_AGE_MS = 30_000;
