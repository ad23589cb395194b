import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { parseCidr } from '../net/cidr';

/**
 * A property decorator made of one check: class-validator's registerDecorator with the parts every
 * hub rule repeats (target, property, a default message the caller's options may replace).
 */
export function propertyRule(
  name: string,
  message: ValidationOptions['message'],
  validate: (value: unknown, args?: ValidationArguments) => boolean,
  options?: ValidationOptions,
  constraints?: unknown[],
): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({ name, target: target.constructor, propertyName: propertyName as string, constraints, options: { message, ...options }, validator: { validate } });
}

/** Leading and trailing whitespace removed from a string (a spreadsheet's, never the caller's intent); anything else left for IsString. */
export const Trimmed = (): PropertyDecorator => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Something other than whitespace (what `trim()` removes): a blank name, category or reason says
 * nothing, and Amazon and Nykaa refuse one. Judges strings only; IsString reports anything else.
 */
export function NotBlank(options?: ValidationOptions): PropertyDecorator {
  return propertyRule('notBlank', 'must not be empty or only whitespace', (v) => typeof v !== 'string' || v.trim() !== '', options);
}

/** A URL whose protocol is one of `protocols` (WHATWG URL parsing). */
export function IsUrlWithProtocol(protocols: string[], options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'isUrlWithProtocol',
    `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`,
    (value: unknown) => {
      if (typeof value !== 'string') return false;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    options,
  );
}

/** `v1:<base64 of 32 bytes>,v2:<...>`: versioned 256-bit master keys. */
export function IsVersionedKeyList(bytes: number, options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'isVersionedKeyList',
    `must be a comma-separated list of v<N>:<base64 of ${bytes} bytes>`,
    (value: unknown) => {
      if (typeof value !== 'string' || !value) return false;
      return value.split(',').every((part) => {
        const m = /^v(\d+):([A-Za-z0-9+/=_-]+)$/.exec(part.trim());
        return !!m && Buffer.from(m[2], 'base64').length === bytes;
      });
    },
    options,
  );
}

/** Comma-separated CIDR list (IPv4 or IPv6); empty allowed. */
export function IsCidrList(options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'isCidrList',
    'must be a comma-separated list of CIDRs such as 10.0.0.0/8 or ::1/128',
    (value: unknown) => {
      if (value === '' || value === undefined) return true;
      if (typeof value !== 'string') return false;
      return value.split(',').every((c) => parseCidr(c.trim()) !== null);
    },
    options,
  );
}


/**
 * The secrets .env.example ships (and `npm start` used to copy into .env): public, so a production
 * process refuses them rather than encrypting real partner secrets under a key anyone can read.
 */
export const EXAMPLE_SECRETS = ['ZmFrZS1kZXYtbWFzdGVyLWtleS0wMDAwMDAwMDAwMDA=', 'fake-dev-pepper-change-me-0000000000'];

/** With NODE_ENV=production, the value must not contain any of `publicValues`. */
export function NotPublicInProduction(publicValues: readonly string[], options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'notPublicInProduction',
    'is the public example value from .env.example; generate your own before running with NODE_ENV=production (see README)',
    (value: unknown, args) => {
      if ((args?.object as { NODE_ENV?: string }).NODE_ENV !== 'production' || typeof value !== 'string') return true;
      return !publicValues.some((p) => value.includes(p));
    },
    options,
  );
}

/**
 * `cloudinary://<api_key>:<api_secret>@<cloud_name>`, as the SDK requires, whose `upload_prefix`
 * (if any) is an http(s) URL: it may be the API base, so it is held to what IsUrlWithProtocol
 * holds the other partner URLs to.
 */
export function IsCloudinaryUrl(options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'isCloudinaryUrl',
    'must be cloudinary://<api_key>:<api_secret>@<cloud_name>, with an upload_prefix (if any) starting with http:// or https://',
    (value: unknown) => {
      if (typeof value !== 'string') return false;
      try {
        const url = new URL(value);
        const prefix = url.searchParams.get('upload_prefix');
        return url.protocol === 'cloudinary:' && (prefix === null || ['http:', 'https:'].includes(new URL(prefix).protocol));
      } catch {
        return false;
      }
    },
    options,
  );
}
