import { FieldError, Partner, PARTNER_ENV, PARTNERS, PartnerFields } from '@hub/core';
import { MAX_FIELD_BYTES } from '../constants';

export function isPartner(v: string): v is Partner {
  return (PARTNERS as readonly string[]).includes(v);
}

export function requiredFields(partner: Partner): string[] {
  return Object.keys(PARTNER_ENV[partner]);
}

/** Checks a credential's fields against what the partner needs; errors name `fields.<name>`. */
export function validatePartnerFields<P extends Partner>(partner: P, fields: Record<string, unknown>): { fields?: PartnerFields[P]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const required = requiredFields(partner);
  for (const name of required) {
    const v = fields[name];
    if (v === undefined || v === null) errors.push({ field: `fields.${name}`, message: `is required for ${partner}` });
    else if (typeof v !== 'string') errors.push({ field: `fields.${name}`, message: 'must be a string' });
    else if (!v.trim()) errors.push({ field: `fields.${name}`, message: 'must not be empty' });
    else if (Buffer.byteLength(v, 'utf8') > MAX_FIELD_BYTES) errors.push({ field: `fields.${name}`, message: `must be at most ${MAX_FIELD_BYTES} bytes` });
    else if (/[\u0000-\u001f]/.test(v)) errors.push({ field: `fields.${name}`, message: 'must not contain control characters' });
  }
  for (const name of Object.keys(fields)) {
    if (!required.includes(name)) errors.push({ field: `fields.${name}`, message: `is not a ${partner} credential field (expected ${required.join(', ')})` });
  }
  if (errors.length) return { errors };
  const out: Record<string, string> = {};
  for (const name of required) out[name] = fields[name] as string;
  return { fields: out as unknown as PartnerFields[P], errors };
}
