import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '../http/problem';
import { declaredAccess, RouteAccess } from './declared-routes';

/**
 * Route metadata shared by every guard: a route must be @Public or name a scope. A route with
 * neither is a programming error and is refused for everyone (deny by default).
 */
export function routeAccess(reflector: Reflector, ctx: ExecutionContext): RouteAccess {
  return declaredAccess(reflector, ctx.getHandler(), ctx.getClass());
}

/** The guard in force before an authentication lib is installed: public routes only. */
@Injectable()
export class DenyByDefaultGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const access = routeAccess(this.reflector, ctx);
    if (access.public) return true;
    throw new ProblemException(401, 'missing-api-key', 'This route needs an API key');
  }
}
