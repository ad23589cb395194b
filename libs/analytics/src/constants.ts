/** The analytics worker's queue: housekeeping of the usage and audit trail the hub records. */
export const ANALYTICS_QUEUE = 'analytics';
/** Deletes hourly usage rows older than USAGE_RETENTION_DAYS. */
export const PURGE_USAGE_JOB = 'purge-usage';
/** Deletes audit events older than AUDIT_RETENTION_DAYS (auth failures: AUDIT_AUTH_FAILURE_RETENTION_DAYS). */
export const PURGE_AUDIT_JOB = 'purge-audit';
