import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../http/problem';
import type { Channel, Scope, Tier } from './scopes';

/** Who is calling: set on the request by the API key guard once the key is verified. */
export interface AuthContext {
  keyId: string;
  name: string;
  environment: 'live' | 'test';
  scopes: ReadonlySet<Scope>;
  /** null: the key may touch every channel. */
  channels: readonly Channel[] | null;
  tier: Tier;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

/** The verified caller of this request (undefined on public routes). */
export const CurrentKey = createParamDecorator((_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<FastifyRequest>().auth);

/** Who did something, in which request and from where: what an audit event records of its actor. */
export interface RequestOrigin {
  keyId: string | null;
  requestId: string;
  /** The client after TRUSTED_PROXIES (core's onRequest hook); `req.ip` would be the proxy. */
  ip: string | null;
}

function originOf(req: FastifyRequest): RequestOrigin {
  return { keyId: req.auth?.keyId ?? null, requestId: String(req.id ?? ''), ip: req.clientIp || null };
}

/** The RequestOrigin of this request, for services that write the audit trail. */
export const CurrentOrigin = createParamDecorator((_: unknown, ctx: ExecutionContext) => originOf(ctx.switchToHttp().getRequest<FastifyRequest>()));

export function canTouchChannel(auth: AuthContext | undefined, channel: Channel): boolean {
  return !auth?.channels || auth.channels.includes(channel);
}

/** 403 `channel-not-allowed` unless the key is bound to `channel` (or to no channel at all). */
export function assertChannelAllowed(auth: AuthContext | undefined, channel: Channel): void {
  if (!canTouchChannel(auth, channel)) {
    throw new ProblemException(403, 'channel-not-allowed', `This API key is not bound to the ${channel} channel`, {
      extensions: { channel },
    });
  }
}
