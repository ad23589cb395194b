import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { Scope } from './scopes';

export const REQUIRED_SCOPES = 'hub:required-scopes';
export const IS_PUBLIC = 'hub:public';

/**
 * The scope a route needs. Several arguments mean any one of them is enough
 * (e.g. usage is readable with keys:read or analytics:read).
 */
export const RequireScope = (...anyOf: [Scope, ...Scope[]]) =>
  applyDecorators(SetMetadata(REQUIRED_SCOPES, anyOf), ApiSecurity('apiKey'), ApiSecurity('bearer'));

/** Reachable without an API key (health, docs, metrics, signed webhooks). Say why at the use site. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
