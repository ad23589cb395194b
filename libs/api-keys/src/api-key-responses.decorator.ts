import { applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse, ApiHeader, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

const rateHeaders = {
  'RateLimit-Policy': { description: 'e.g. `"burst";q=5;w=1, "monthly";q=5000;w=2592000`', schema: { type: 'string' } },
  RateLimit: { description: 'e.g. `"burst";r=4;t=1, "monthly";r=4999;t=86400` (remaining, seconds to reset)', schema: { type: 'string' } },
} as const;

/**
 * OpenAPI for what the API key guard may answer on a key-protected route. Any lib may put it on
 * its controllers so /docs tells clients about the auth failures and the rate-limit headers.
 */
export const ApiKeyResponses = () =>
  applyDecorators(
    ApiHeader({ name: 'X-API-Key', required: false, description: 'Alternative to `Authorization: Bearer nsk_...`' }),
    ApiUnauthorizedResponse({
      description: 'problem+json `missing-api-key`, `invalid-api-key` (one body for malformed, bad checksum, unknown keyId, wrong secret), `expired-api-key`, `revoked-api-key`',
    }),
    ApiForbiddenResponse({ description: 'problem+json `insufficient-scope` (names `requiredScope`), `ip-not-allowed`, `channel-not-allowed`' }),
    ApiTooManyRequestsResponse({
      description: 'problem+json `rate-limited` (burst, or failed authentications from this address), `quota-exceeded`, `abnormal-usage-detected`',
      headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } }, ...rateHeaders },
    }),
  );

/**
 * The guard's own 400, for a controller's 400 description to include: an ApiBadRequestResponse on a
 * route replaces the one on its controller, so it is written where the route's other 400s are.
 */
export const API_KEY_BAD_REQUEST = '`bad-request` (repeated or conflicting API key headers)';
