import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationFailed } from './problem';

function collect(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
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
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(collect(errors)),
  });
}
