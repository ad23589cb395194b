import { HttpException } from '@nestjs/common';

/** Every `type` is this base plus a slug, so clients can switch on the slug. */
export const PROBLEM_TYPE_BASE = 'https://hub.novaskin.dev/problems/';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `items.0.quantity`. */
  field: string;
  message: string;
}

export interface ProblemOptions {
  title?: string;
  /** Extra members for the body (RFC 9457 extensions), e.g. `errors`, `scope`. */
  extensions?: Record<string, unknown>;
  /** Response headers such as Retry-After. */
  headers?: Record<string, string>;
}

const TITLES: Record<string, string> = {
  'bad-request': 'Bad request',
  'validation-failed': 'Your request has invalid fields',
  'malformed-json': 'The request body is not valid JSON',
  'payload-too-large': 'The request body is too large',
  'unsupported-media-type': 'Unsupported content type',
  'uri-too-long': 'The URL is too long',
  'request-timeout': 'Request timeout',
  'request-header-fields-too-large': 'Request headers too large',
  'missing-api-key': 'Missing API key',
  'invalid-api-key': 'Invalid API key',
  'expired-api-key': 'Expired API key',
  'revoked-api-key': 'Revoked API key',
  'ip-not-allowed': 'IP address not allowed',
  'cidrs-not-allowed': 'Address allowlist beyond your own',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  conflict: 'Conflict',
  'idempotency-key-reused': 'This Idempotency-Key was used with a different request',
  'idempotency-key-in-use': 'A request with this Idempotency-Key is still being processed',
  'missing-idempotency-key': 'An Idempotency-Key header is required',
  'unprocessable-entity': 'Unprocessable request',
  'rate-limited': 'Too many requests',
  'internal-error': 'Internal server error',
  'service-unavailable': 'Service unavailable',
};

/**
 * The one exception type features throw for client-visible errors. The filter renders it
 * as application/problem+json; `slug` is the stable part of `type` that clients switch on.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly slug: string,
    readonly detail: string,
    readonly problem: ProblemOptions = {},
  ) {
    super(detail, status);
  }

  get title(): string {
    return this.problem.title ?? titleForSlug(this.slug);
  }
}

export function defaultSlugForStatus(status: number): string {
  switch (status) {
    case 400: return 'bad-request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not-found';
    case 405: return 'method-not-allowed';
    case 409: return 'conflict';
    case 413: return 'payload-too-large';
    case 415: return 'unsupported-media-type';
    case 422: return 'unprocessable-entity';
    case 429: return 'rate-limited';
    case 503: return 'service-unavailable';
    default: return status >= 500 ? 'internal-error' : 'bad-request';
  }
}

export function titleForSlug(slug: string): string {
  return TITLES[slug] ?? slug.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export const notFound = (what: string) => new ProblemException(404, 'not-found', `${what} was not found`);
export const validationFailed = (errors: FieldError[]) =>
  new ProblemException(400, 'validation-failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    extensions: { errors },
  });
