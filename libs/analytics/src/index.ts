export * from './analytics.config';
export * from './analytics.module';
export * from './analytics-worker.module';
export { ANALYTICS_QUEUE, PURGE_AUDIT_JOB, PURGE_USAGE_JOB } from './constants';
