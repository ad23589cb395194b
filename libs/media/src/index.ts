export * from './media.module';
export * from './media.service';
export * from './media.errors';
export * from './media-presets';
export * from './media.config';
