import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC, REQUIRED_SCOPES } from '@hub/core';

export type RouteAccess = { public: true } | { public: false; scopes: string[] | null };

/**
 * `GET /v1/keys/:keyId` -> what the route declares, built once from controller metadata, so the
 * guard's Fastify hook can check a request's key before Nest's pipeline runs (and before the body is
 * read). Routes not in the map (HEAD, anything unusual) simply go through the guard.
 */
export function buildRouteAccessMap(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): Map<string, RouteAccess> {
  const map = new Map<string, RouteAccess>();
  for (const { instance, metatype } of discovery.getControllers()) {
    if (!instance || !metatype) continue;
    const bases = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
    const proto = Object.getPrototypeOf(instance);
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const sub = Reflect.getMetadata(PATH_METADATA, handler);
      if (sub === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) ?? RequestMethod.GET];
      if (method === 'ALL' || method === 'OPTIONS' || method === 'SEARCH') continue;
      const targets = [handler, metatype];
      const isPublic = !!reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
      const scopes = reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets);
      const access: RouteAccess = isPublic ? { public: true } : { public: false, scopes: scopes?.length ? scopes : null };
      for (const b of bases) {
        for (const s of ([] as string[]).concat(sub)) {
          let path = ('/' + [b, s].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/');
          if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
          const key = `${method} ${path}`;
          // Two handlers on one path would be a Nest error anyway; be safe and let the guard decide.
          if (map.has(key)) map.delete(key);
          else map.set(key, access);
        }
      }
    }
  }
  return map;
}
