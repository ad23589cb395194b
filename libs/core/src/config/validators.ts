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

