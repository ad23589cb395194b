export * from './constants';
export * from './vault.config';
export * from './credential-health';
export * from './crypto/envelope';
export * from './crypto/master-keys';
export * from './vault.service';
export * from './vault.module';
export * from './vault-worker.module';
