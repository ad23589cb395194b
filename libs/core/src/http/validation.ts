import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ProblemException, validationFailed } from './problem';

/**
 * Constraints that check a value's type. When one fails, the others (ranges, lengths, sizes) say
 * nothing useful: `"5"` for an integer field is "must be an integer number", not also "must not be
 * greater than 1000000000; must not be less than 0".
 */
const TYPE_CHECKS = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray', 'isNotEmptyObject']);
/** Checks of one scalar value: failed by a list, they mean a list came where one value belongs. */
const SCALAR_CHECKS = new Set(['isString', 'isInt', 'isNumber', 'isBoolean']);

/** Said of a list where one value belongs; a query parameter given twice arrives as one. */
const ONE_VALUE = 'must be a single value, not a list';
const GIVEN_ONCE = 'must be given once';

function collect(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const constraints = e.constraints ?? {};
    const names = Object.keys(constraints);
    if (names.length && !e.children?.length) {
      // A missing required field fails every constraint on it ("must be a string", "must be shorter
      // than ..."): say the one thing that matters. Optional fields are never validated when absent.
      if (e.value === undefined) return [{ field, message: 'is required' }];
      // @IsOptional lets null through, so a null that reaches a constraint is refused by the field.
      if (e.value === null) return [{ field, message: 'must not be null' }];
      // Not for a list field whose elements failed (`each: true`): its messages begin "each value in".
      if (Array.isArray(e.value) && names.some((n) => SCALAR_CHECKS.has(n) && !constraints[n].startsWith('each value'))) return [{ field, message: ONE_VALUE }];
    }
    const typeFailures = names.filter((n) => TYPE_CHECKS.has(n));
    const own = (typeFailures.length ? typeFailures : names).map((n) => {
      const m = constraints[n];
      return { field, message: m.startsWith(e.property + ' ') ? m.slice(e.property.length + 1) : m };
    });
    return [...own, ...collect(e.children ?? [], field)];
  });
}

/**
 * Strict body/query validation: unknown fields are errors (a typo in a field name should not be
 * silently ignored), and every bad field is listed in `errors`, each with the one message that
 * matters (see collect).
 */
class HubValidationPipe extends ValidationPipe {
  // Not async itself: only a query's refusal needs rewriting, and every other parameter of every
  // request would otherwise pay a promise and a microtask more.
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A JSON array where an object is expected would otherwise read "0: property 0 should not exist".
    if (metadata.type === 'body' && Array.isArray(value) && metadata.metatype && metadata.metatype !== Array && this.toValidate(metadata)) {
      return Promise.reject(validationFailed([{ field: '(body)', message: 'must be a JSON object, not an array' }]));
    }
    const result = super.transform(value, metadata) as Promise<unknown>;
    return metadata.type === 'query' && value !== null && typeof value === 'object' ? result.catch((err: unknown) => rethrowForQuery(err, value as Record<string, unknown>)) : result;
  }
}

/**
 * In a query string a list can only come from a parameter given more than once (`?limit=1&limit=2`):
 * such a declared parameter's errors become "must be given once". Looked up in the raw query: a
 * transform (`@Type(() => Number)`) has already turned the list into NaN. An undeclared one keeps
 * its "should not exist".
 */
function rethrowForQuery(err: unknown, raw: Record<string, unknown>): never {
  if (!(err instanceof ProblemException) || err.slug !== 'validation-failed') throw err;
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of err.problem.extensions?.errors as FieldError[]) {
    if (!Array.isArray(raw[e.field]) || e.message.endsWith('should not exist')) {
      errors.push(e);
    } else if (!seen.has(e.field)) {
      seen.add(e.field);
      errors.push({ field: e.field, message: GIVEN_ONCE });
    }
  }
  throw validationFailed(errors);
}

export function createValidationPipe(): ValidationPipe {
  return new HubValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    // The value is kept on the error only to tell a missing, null or list value apart; it never reaches the response.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => validationFailed(collect(errors)),
  });
}
