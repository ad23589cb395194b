import { Controller, Get, Module, type INestApplicationContext } from '@nestjs/common';
import { RequireScope, type Channel, type Scope, type Tier } from '@hub/core';
import { ApiKeysService, LimitOverrides } from '@hub/api-keys';

export interface TestKeyOptions {
  scopes: Scope[] | 'all';
  channels?: Channel[];
  /** Default `internal` (200 requests/s, no quota). */
  tier?: Tier;
  /** e.g. `{ burstPerSecond: 100000 }` for load tests, `{ quota: { limit: 50, period: 'day' } }`. */
  limits?: LimitOverrides;
  name?: string;
  environment?: 'live' | 'test';
  allowedCidrs?: string[];
  expiresAt?: Date;
}

/**
 * Creates an API key through the real service of a running app (api or CLI context) and returns
 * the full key string, for `Authorization: Bearer <key>`.
 */
export async function createTestKey(app: INestApplicationContext, opts: TestKeyOptions): Promise<string> {
  const svc = app.get(ApiKeysService, { strict: false });
  const { key } = await svc.create(
    {
      name: opts.name ?? 'test key',
      environment: opts.environment ?? 'test',
      scopes: opts.scopes,
      tier: opts.tier ?? 'internal',
      limits: opts.limits,
      channels: opts.channels,
      allowedCidrs: opts.allowedCidrs,
      expiresAt: opts.expiresAt,
    },
    { label: 'test' },
  );
  return key;
}

/** `{ authorization: 'Bearer <key>' }` */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: any;
  headers: Headers;
  text: string;
}

/** One JSON request to the api with a key. */
export async function callApi(baseUrl: string, method: string, path: string, key: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...bearer(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, text };
}

/**
 * A route behind `catalog:read` that does nothing else, at GET /__keys_probe/catalog: lets key
 * tests exercise the guard without depending on any feature lib's routes.
 */
@Controller('__keys_probe')
class CatalogProbeController {
  @Get('catalog')
  @RequireScope('catalog:read')
  catalog() {
    return { ok: true };
  }
}
@Module({ controllers: [CatalogProbeController] })
export class CatalogProbeModule {}
