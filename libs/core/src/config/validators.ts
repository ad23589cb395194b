import { registerDecorator, ValidationOptions } from 'class-validator';
import { parseCidr } from '../net/cidr';

/** A URL whose protocol is one of `protocols` (WHATWG URL parsing). */
export function IsUrlWithProtocol(protocols: string[], options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isUrlWithProtocol',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            return protocols.includes(new URL(value).protocol);
          } catch {
            return false;
          }
        },
      },
    });
}

/** `v1:<base64 of 32 bytes>,v2:<...>`: versioned 256-bit master keys. */
export function IsVersionedKeyList(bytes: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isVersionedKeyList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `must be a comma-separated list of v<N>:<base64 of ${bytes} bytes>`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string' || !value) return false;
          return value.split(',').every((part) => {
            const m = /^v(\d+):([A-Za-z0-9+/=_-]+)$/.exec(part.trim());
            return !!m && Buffer.from(m[2], 'base64').length === bytes;
          });
        },
      },
    });
}

/** Comma-separated CIDR list (IPv4 or IPv6); empty allowed. */
export function IsCidrList(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCidrList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be a comma-separated list of CIDRs such as 10.0.0.0/8 or ::1/128', ...options },
      validator: {
        validate(value: unknown) {
          if (value === '' || value === undefined) return true;
          if (typeof value !== 'string') return false;
          return value.split(',').every((c) => parseCidr(c.trim()) !== null);
        },
      },
    });
}


/**
 * The secrets .env.example ships (and `npm start` used to copy into .env): public, so a production
 * process refuses them rather than encrypting real partner secrets under a key anyone can read.
 */
export const EXAMPLE_SECRETS = ['ZmFrZS1kZXYtbWFzdGVyLWtleS0wMDAwMDAwMDAwMDA=', 'fake-dev-pepper-change-me-0000000000'];

/** With NODE_ENV=production, the value must not contain any of `publicValues`. */
export function NotPublicInProduction(publicValues: readonly string[], options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notPublicInProduction',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'is the public example value from .env.example; generate your own before running with NODE_ENV=production (see README)', ...options },
      validator: {
        validate(value: unknown, args) {
          if ((args?.object as { NODE_ENV?: string }).NODE_ENV !== 'production' || typeof value !== 'string') return true;
          return !publicValues.some((p) => value.includes(p));
        },
      },
    });
}

/**
 * `cloudinary://<api_key>:<api_secret>@<cloud_name>`, as the SDK requires, whose `upload_prefix`
 * (if any) is an http(s) URL: it may be the API base, so it is held to what IsUrlWithProtocol
 * holds the other partner URLs to.
 */
export function IsCloudinaryUrl(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCloudinaryUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be cloudinary://<api_key>:<api_secret>@<cloud_name>, with an upload_prefix (if any) starting with http:// or https://', ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            const prefix = url.searchParams.get('upload_prefix');
            return url.protocol === 'cloudinary:' && (prefix === null || ['http:', 'https:'].includes(new URL(prefix).protocol));
          } catch {
            return false;
          }
        },
      },
    });
}
