import type { FastifyReply } from 'fastify';

interface ErrorOpts {
  code?: 'BAD_REQUEST_ERROR' | 'SERVER_ERROR' | 'GATEWAY_ERROR';
  field?: string | null;
  source?: string;
  step?: string;
  reason?: string;
}

/** Razorpay's error envelope: `{"error":{code, description, source, step, reason, metadata, field}}`. */
export function razorpayError(reply: FastifyReply, status: number, description: string, opts: ErrorOpts = {}): FastifyReply {
  return reply.status(status).send({
    error: {
      code: opts.code ?? 'BAD_REQUEST_ERROR',
      description,
      source: opts.source ?? 'NA',
      step: opts.step ?? 'NA',
      reason: opts.reason ?? 'NA',
      metadata: {},
      field: opts.field ?? null,
    },
  });
}

export const authFailed = (reply: FastifyReply) => razorpayError(reply, 401, 'Authentication failed');

/** A validation failure, as Razorpay reports one: 400 naming the field. */
export class RazorpayValidationError extends Error {
  constructor(
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

export const validationError = (reply: FastifyReply, err: RazorpayValidationError) =>
  razorpayError(reply, 400, err.message, { field: err.field, source: 'business', step: 'payment_initiation', reason: 'input_validation_failed' });

const CURRENCIES = new Set(['INR', 'USD', 'EUR', 'GBP', 'SGD', 'AED', 'AUD', 'CAD', 'JPY', 'MYR']);
const ORDER_FIELDS = new Set(['amount', 'currency', 'receipt', 'notes', 'partial_payment', 'first_payment_min_amount', 'payment_capture', 'method', 'customer_id']);

export interface OrderInput {
  amount: number;
  currency: string;
  receipt: string | null;
  notes: Record<string, string | number>;
  partial_payment: boolean;
}

/** Validates `POST /v1/orders` the way Razorpay does (same messages where known). */
export function parseOrder(body: unknown): OrderInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RazorpayValidationError(null, 'The request body must be a JSON object.');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !ORDER_FIELDS.has(k));
  if (extra.length) throw new RazorpayValidationError(extra[0], `${extra.join(', ')} is/are not required and should not be sent`);
  if (b.amount === undefined || b.amount === null || b.amount === '') throw new RazorpayValidationError('amount', 'The amount field is required.');
  const amount = typeof b.amount === 'string' && /^\d+$/.test(b.amount) ? Number(b.amount) : b.amount;
  if (!Number.isSafeInteger(amount)) throw new RazorpayValidationError('amount', 'The amount must be an integer.');
  if ((amount as number) < 100) throw new RazorpayValidationError('amount', 'The amount must be atleast INR 1.00.');
  if (b.currency === undefined) throw new RazorpayValidationError('currency', 'The currency field is required.');
  if (typeof b.currency !== 'string' || !CURRENCIES.has(b.currency)) throw new RazorpayValidationError('currency', 'The selected currency is invalid.');
  if (b.receipt !== undefined && b.receipt !== null && (typeof b.receipt !== 'string' || b.receipt.length > 40)) {
    throw new RazorpayValidationError('receipt', 'The receipt may not be greater than 40 characters.');
  }
  const notes: Record<string, string | number> = {};
  if (b.notes !== undefined && b.notes !== null && !(Array.isArray(b.notes) && b.notes.length === 0)) {
    if (typeof b.notes !== 'object' || Array.isArray(b.notes)) throw new RazorpayValidationError('notes', 'The notes must be an object.');
    const entries = Object.entries(b.notes as Record<string, unknown>);
    if (entries.length > 15) throw new RazorpayValidationError('notes', 'Number of fields in notes should be less than or equal to 15');
    for (const [k, v] of entries) {
      if ((typeof v !== 'string' && typeof v !== 'number') || String(v).length > 256) {
        throw new RazorpayValidationError('notes', `notes.${k} must be a string or number of at most 256 characters`);
      }
      notes[k] = v;
    }
  }
  if (b.partial_payment !== undefined && typeof b.partial_payment !== 'boolean') throw new RazorpayValidationError('partial_payment', 'The partial payment field must be true or false.');
  return { amount: amount as number, currency: b.currency, receipt: (b.receipt as string | undefined) ?? null, notes, partial_payment: b.partial_payment === true };
}

/** Razorpay serialises empty notes as `[]` (a PHP quirk clients must tolerate); kept here. */
export const wireNotes = (notes: Record<string, string | number>) => (Object.keys(notes).length ? notes : []);
