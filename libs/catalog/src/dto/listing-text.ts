import { propertyRule } from '@hub/core';
import type { ValidationOptions } from 'class-validator';

/**
 * Limits of the text a product carries to its channels, in UTF-16 code units (see MaxUtf16Length):
 * Amazon's `item_name` and Nykaa's `title` take 200, Nykaa's `category` 100 and `description` 5000.
 */
export const NAME_MAX = 200;
export const CATEGORY_MAX = 100;
export const DESCRIPTION_MAX = 5000;

/**
 * At most `max` UTF-16 code units, which is how the channels count (JavaScript's `length`): an emoji
 * outside the Basic Multilingual Plane is 2 there. class-validator's MaxLength counts code points
 * (and skips variation selectors), so 200 emoji passed it and then failed on Amazon and Nykaa.
 */
export function MaxUtf16Length(max: number, options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'maxUtf16Length',
    `must be at most ${max} characters as Amazon and Nykaa count them (UTF-16 code units: most emoji count as 2)`,
    (v) => typeof v !== 'string' || v.length <= max,
    options,
    [max],
  );
}
