export * from './channels.config';
export * from './channels.module';
export * from './channel-registry.service';
export * from './amazon/amazon.adapter';
export * from './amazon/amazon-lwa.client';
export * from './nykaa/nykaa.adapter';
export * from './storefront/storefront.adapter';
export * from './http/token-bucket';
export { retryAfterMs } from './http/partner-http';
