export * from './inventory.module';
export * from './inventory.service';
export * from './inventory.errors';
export * from './allocation';
export { INVENTORY_SYNC_QUEUE } from './constants';
