import 'reflect-metadata';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';

const SENSITIVE = Symbol('hub:config:sensitive');

/** Marks a config value that must never be printed (errors, logs, diagnostics). */
export function Sensitive(): PropertyDecorator {
  return (target, key) => {
    const set: Set<string | symbol> = Reflect.getOwnMetadata(SENSITIVE, target) ?? new Set();
    set.add(key);
    Reflect.defineMetadata(SENSITIVE, set, target);
  };
}

export function isSensitive(cls: new () => object, key: string): boolean {
  const set: Set<string | symbol> | undefined = Reflect.getMetadata(SENSITIVE, cls.prototype);
  return !!set?.has(key);
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n') +
        '\nSet these in the environment or in .env (see .env.example).',
    );
    this.name = 'ConfigValidationError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Builds a typed config object from environment variables. Every property that carries
 * a class-validator decorator is read from the variable of the same name; property
 * initialisers are the defaults. Numbers and booleans are coerced from their text form.
 * Throws ConfigValidationError naming every bad variable (never its value).
 */
export function loadConfig<T extends object>(cls: new () => T, env: Env = process.env): T {
  const instance = new cls() as Record<string, unknown>;
  const props = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(cls, '', true, false)
      .map((m) => m.propertyName),
  );
  const problems: { variable: string; message: string }[] = [];
  for (const prop of props) {
    const raw = env[prop];
    if (raw === undefined || raw === '') continue;
    // Declared type, or the default's type for properties declared only by their initialiser.
    const declared = Reflect.getMetadata('design:type', cls.prototype, prop);
    const type = declared === Number || declared === Boolean ? declared : typeof instance[prop] === 'number' ? Number : typeof instance[prop] === 'boolean' ? Boolean : String;
    if (type === Number) {
      const n = Number(raw.trim());
      if (!Number.isFinite(n)) {
        problems.push({ variable: prop, message: 'must be a number' });
        continue;
      }
      instance[prop] = n;
    } else if (type === Boolean) {
      const v = raw.trim().toLowerCase();
      if (!['true', 'false', '1', '0', 'yes', 'no'].includes(v)) {
        problems.push({ variable: prop, message: 'must be true or false' });
        continue;
      }
      instance[prop] = ['true', '1', 'yes'].includes(v);
    } else {
      instance[prop] = raw.trim();
    }
  }
  const errors = validateSync(instance, { skipMissingProperties: false, forbidUnknownValues: false });
  for (const e of flatten(errors)) {
    if (problems.some((p) => p.variable === e.property)) continue;
    const msgs = Object.values(e.constraints ?? {}).map((m) => m.replace(e.property + ' ', ''));
    const missing = instance[e.property] === undefined || instance[e.property] === '';
    // A variable required only alongside another says which (its IsDefined message); others are plainly required.
    const requiredBecause = e.constraints?.isDefined?.replace(e.property + ' ', '');
    problems.push({ variable: e.property, message: missing ? (requiredBecause ?? 'is required but not set') : msgs.join('; ') });
  }
  if (problems.length) throw new ConfigValidationError(problems);
  return instance as T;
}

function flatten(errors: ValidationError[]): ValidationError[] {
  return errors.flatMap((e) => [e, ...flatten(e.children ?? [])]).filter((e) => e.constraints);
}

/** Renders a config object for diagnostics with sensitive values masked. */
export function describeConfig(cls: new () => object, cfg: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(cfg).map(([k, v]) => [k, isSensitive(cls, k) && v ? '[redacted]' : v]),
  );
}
