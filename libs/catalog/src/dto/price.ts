import { propertyRule } from '@hub/core';
import type { ValidationOptions } from 'class-validator';

/**
 * Below 10^9: Nykaa takes `price.amount` as `^\d{1,9}\.\d{2}$`, and a product priced beyond what one
 * channel takes would be stored here and then fail there. One cap for every channel keeps a product
 * publishable wherever it is moved later (numeric(12,2) itself would hold up to 10^10).
 */
export const PRICE_LIMIT_TEXT = 'below 1,000,000,000';
const DECIMAL = /^\d{1,9}(\.\d{1,2})?$/;

/** Why a price is refused, or null when it is acceptable. */
export function priceProblem(value: unknown): string | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'must be a finite number';
    if (value < 0) return 'must not be negative';
    // String(899.1) is "899.1" and String(1e21) is "1e+21": the decimal check below rejects the latter.
    return priceProblem(String(value));
  }
  if (typeof value !== 'string') return 'must be a decimal number such as 899 or "899.00"';
  const s = value.trim();
  if (s.startsWith('-')) return 'must not be negative';
  if (!/^\d+(\.\d+)?$/.test(s)) return 'must be a decimal number such as 899 or "899.00"';
  // Leading zeros say nothing about the size ("0007.10" is stored as "7.10").
  if (!DECIMAL.test(s.replace(/^0+(?=\d)/, ''))) return /\.\d{3,}$/.test(s) ? 'must have at most 2 decimal places' : `must be ${PRICE_LIMIT_TEXT}`;
  return null;
}

/** "899" / 899 / 899.5 -> "899.50": the exact decimal string stored in numeric(12,2). */
export function normalisePrice(value: string | number): string {
  const s = String(value).trim();
  const [int, frac = ''] = s.split('.');
  return `${BigInt(int).toString()}.${frac.padEnd(2, '0')}`;
}

/** A price in major units as a JSON number or decimal string; at most 2 decimals; not negative. */
export function IsPrice(options?: ValidationOptions): PropertyDecorator {
  return propertyRule('isPrice', (args) => priceProblem(args.value) ?? 'is invalid', (value) => priceProblem(value) === null, options);
}
