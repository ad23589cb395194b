import type { FastifyReply } from 'fastify';

export type NykaaErrorCode = 'UNAUTHORIZED' | 'NOT_FOUND' | 'VALIDATION_ERROR' | 'RATE_LIMITED' | 'INTERNAL';

/** Our Nykaa contract's error envelope (docs/nykaa-api.md): `{"error":{code, message, field?}}`. */
export function nykaaError(reply: FastifyReply, status: number, code: NykaaErrorCode, message: string, field?: string): FastifyReply {
  return reply.status(status).send({ error: { code, message, ...(field ? { field } : {}) } });
}

export class NykaaValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const isHttpUrl = (s: string): boolean => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

export interface ListingInput {
  title: string;
  description: string;
  category: string;
  price: { amount: string; currency: 'INR' };
  imageUrl: string;
  quantity: number;
}

/** Validates a listing PUT body; throws NykaaValidationError naming the first bad field. */
export function parseListing(body: unknown): ListingInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new NykaaValidationError('body', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  const str = (k: string, max: number, optional = false): string => {
    const v = b[k];
    if (v === undefined && optional) return '';
    if (typeof v !== 'string' || (!optional && !v.trim())) throw new NykaaValidationError(k, `${k} must be a non-empty string`);
    if (v.length > max) throw new NykaaValidationError(k, `${k} must be at most ${max} characters`);
    return v;
  };
  const title = str('title', 200);
  const description = str('description', 5000, true);
  const category = str('category', 100);
  const price = b.price as Record<string, unknown> | undefined;
  if (!price || typeof price !== 'object') throw new NykaaValidationError('price', 'price must be an object {amount, currency}');
  if (typeof price.amount !== 'string' || !/^\d{1,9}\.\d{2}$/.test(price.amount)) {
    throw new NykaaValidationError('price.amount', 'price.amount must be a decimal string with two places, e.g. "899.00"');
  }
  if (price.currency !== 'INR') throw new NykaaValidationError('price.currency', 'price.currency must be INR');
  const imageUrl = str('imageUrl', 2048);
  if (!isHttpUrl(imageUrl)) throw new NykaaValidationError('imageUrl', 'imageUrl must be an http(s) URL');
  const quantity = parseQuantity(b.quantity);
  return { title, description, category, price: { amount: price.amount, currency: 'INR' }, imageUrl, quantity };
}

export function parseQuantity(v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 1_000_000) {
    throw new NykaaValidationError('quantity', 'quantity must be an integer from 0 to 1000000');
  }
  return v as number;
}
