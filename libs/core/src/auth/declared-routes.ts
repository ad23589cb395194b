import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC, REQUIRED_SCOPES } from './scope.decorator';

/** What a route declares: @Public, or the scopes of @RequireScope (null: neither, a bug the guards refuse). */
export type RouteAccess = { public: true } | { public: false; scopes: string[] | null };

/** A handler's declared access, from its own decorators or its controller's. */
export function declaredAccess(reflector: Reflector, handler: object, controller: object): RouteAccess {
  const targets = [handler as Type, controller as Type];
  if (reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return { public: true };
  const scopes = reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets);
  return { public: false, scopes: scopes?.length ? scopes : null };
}

export interface DeclaredRoute {
  /** `GET`, `POST`... (RequestMethod's name: `ALL` for @All). */
  method: string;
  /** `/v1/products/:sku`: the controller's path and the handler's, joined as Nest registers them. */
  path: string;
  controller: Type;
  /** The controller's prototype, where the handler and its parameter metadata live. */
  proto: object;
  methodName: string;
  handler: object;
}

/**
 * Every route the app's controllers declare, read from their metadata (one entry per path when a
 * controller or handler has several). For what must agree with the routes Nest registers: the key
 * guard's route map and the OpenAPI document's scopes.
 */
export function declaredRoutes(discovery: DiscoveryService, scanner: MetadataScanner): DeclaredRoute[] {
  const out: DeclaredRoute[] = [];
  for (const { instance, metatype } of discovery.getControllers()) {
    if (!instance || !metatype) continue;
    const controller = metatype as Type;
    const bases = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = Object.getPrototypeOf(instance) as Record<string, object>;
    for (const methodName of scanner.getAllMethodNames(proto)) {
      const handler = proto[methodName];
      const sub: string | string[] | undefined = Reflect.getMetadata(PATH_METADATA, handler);
      if (sub === undefined) continue;
      const method = RequestMethod[(Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined) ?? RequestMethod.GET];
      for (const b of bases) {
        for (const s of ([] as string[]).concat(sub)) {
          let path = ('/' + [b, s].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/');
          if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
          out.push({ method, path, controller, proto, methodName, handler });
        }
      }
    }
  }
  return out;
}
