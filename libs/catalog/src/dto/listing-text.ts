import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * Limits of the text a product carries to its channels, in UTF-16 code units (see MaxUtf16Length):
 * Amazon's `item_name` and Nykaa's `title` take 200, Nykaa's `category` 100 and `description` 5000.
 */
export const NAME_MAX = 200;
export const CATEGORY_MAX = 100;
export const DESCRIPTION_MAX = 5000;

/**
 * Leading and trailing whitespace in a name or category is a spreadsheet's, never the merchant's
 * intent, and the channels would count it against their limits. Non-strings are left for IsString.
 */
export const Trimmed = (): PropertyDecorator => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Something other than whitespace: Amazon and Nykaa refuse a value whose `trim()` is empty ("must be a
 * non-empty string"), so the hub refuses it up front instead of leaving the listing `failed`.
 * Judges strings only; IsString reports anything else.
 */
export function NotBlank(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notBlank',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must not be empty or only whitespace', ...options },
      validator: { validate: (v: unknown) => typeof v !== 'string' || v.trim() !== '' },
    });
}

/**
 * At most `max` UTF-16 code units, which is how the channels count (JavaScript's `length`): an emoji
 * outside the Basic Multilingual Plane is 2 there. class-validator's MaxLength counts code points
 * (and skips variation selectors), so 200 emoji passed it and then failed on Amazon and Nykaa.
 */
export function MaxUtf16Length(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'maxUtf16Length',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [max],
      options: {
        message: `must be at most ${max} characters as Amazon and Nykaa count them (UTF-16 code units: most emoji count as 2)`,
        ...options,
      },
      validator: { validate: (v: unknown) => typeof v !== 'string' || v.length <= max },
    });
}
