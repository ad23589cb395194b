import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { declaredAccess, declaredRoutes, RouteAccess } from '@hub/core';

export type { RouteAccess };

/**
 * `GET /v1/keys/:keyId` -> what the route declares, built once from controller metadata, so the
 * guard's Fastify hook can check a request's key before Nest's pipeline runs (and before the body is
 * read). Routes not in the map (HEAD, anything unusual) simply go through the guard.
 */
export function buildRouteAccessMap(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): Map<string, RouteAccess> {
  const map = new Map<string, RouteAccess>();
  for (const r of declaredRoutes(discovery, scanner)) {
    if (r.method === 'ALL' || r.method === 'OPTIONS' || r.method === 'SEARCH') continue;
    const key = `${r.method} ${r.path}`;
    // Two handlers on one path would be a Nest error anyway; be safe and let the guard decide.
    if (map.has(key)) map.delete(key);
    else map.set(key, declaredAccess(reflector, r.handler, r.controller));
  }
  return map;
}
