import { registerDecorator, ValidationOptions } from 'class-validator';

const DECIMAL = /^\d{1,10}(\.\d{1,2})?$/;

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
  if (!DECIMAL.test(s)) return /\.\d{3,}$/.test(s) ? 'must have at most 2 decimal places' : 'must be below 10,000,000,000';
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
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPrice',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: (args) => priceProblem(args.value) ?? 'is invalid', ...options },
      validator: { validate: (value: unknown) => priceProblem(value) === null },
    });
}
