export * from './constants';
export * from './alerts.config';
export * from './alerts.service';
export * from './alerts.module';
export * from './alerts-worker.module';
export * from './webhook/standard-webhooks';
