import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationFailed } from './problem';

function collect(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    // A missing required field fails every constraint on it ("must be a string", "must be shorter
    // than ..."): say the one thing that matters. Optional fields are never validated when absent.
    if (e.value === undefined && e.constraints && !e.children?.length) return [{ field, message: 'is required' }];
    const own = Object.values(e.constraints ?? {}).map((m) => ({
      field,
      message: m.startsWith(e.property + ' ') ? m.slice(e.property.length + 1) : m,
    }));
    return [...own, ...collect(e.children ?? [], field)];
  });
}

/**
 * Strict body/query validation: unknown fields are errors (a typo in a field name should not be
 * silently ignored), and every bad field is listed in `errors`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    // The value is kept on the error only to tell a missing field apart; it never reaches the response.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => validationFailed(collect(errors)),
  });
}
