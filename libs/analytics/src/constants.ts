/** The analytics worker's queue: housekeeping of the usage it reads. */
export const ANALYTICS_QUEUE = 'analytics';
/** Deletes hourly usage rows older than USAGE_RETENTION_DAYS. */
export const PURGE_USAGE_JOB = 'purge-usage';
