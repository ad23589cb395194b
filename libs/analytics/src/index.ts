export * from './analytics.config';
export * from './analytics.module';
export * from './analytics-worker.module';
