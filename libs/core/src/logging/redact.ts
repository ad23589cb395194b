/** Field names whose values are secrets wherever they appear in a log object. */
export const SECRET_FIELD = /(secret|passw(or)?d|token|api[-_]?key|authorization|cookie|pepper|master[-_]?keys?|private[-_]?key|signature|credential|^key$|fields)/i;

/** A hub API key anywhere inside a string (e.g. an error message that echoed a header). */
const API_KEY_IN_TEXT = /nsk_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{4,}/g;

export const REDACTED = '[redacted]';

export function scrubText(text: string): string {
  return text.replace(API_KEY_IN_TEXT, (m) => m.slice(0, 22) + '…' + REDACTED);
}

/**
 * Deep copy of `value` with every secret-looking field replaced. Bounded in depth and size so
 * a huge object cannot stall the logger.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrubText(value.message), stack: value.stack && scrubText(value.stack) };
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => scrubSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_FIELD.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? REDACTED : scrubSecrets(v, depth + 1);
  }
  return out;
}
