import '../support/test-env';
import { Controller, Get, Module, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { IS_PUBLIC, REQUIRED_SCOPES, Scope, SCOPES } from '@hub/core';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

interface RouteInfo {
  method: string;
  path: string;
  handler: string;
  isPublic: boolean;
  scopes: Scope[] | null;
}

/** Every route Nest registered, from controller metadata (so routes added by any lib are included). */
function enumerateRoutes(app: INestApplication): RouteInfo[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
    const proto = Object.getPrototypeOf(instance);
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const sub = Reflect.getMetadata(PATH_METADATA, handler);
      if (sub === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) ?? 0];
      const targets = [handler, metatype];
      const isPublic = !!reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
      const scopes = reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, targets) ?? null;
      for (const b of base) {
        for (const s of ([] as string[]).concat(sub)) {
          const path = ('/' + [b, s].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/');
          routes.push({ method, path, handler: `${metatype.name}.${name}`, isPublic, scopes: scopes?.length ? scopes : null });
        }
      }
    }
  }
  return routes;
}

@Controller('__undeclared')
class UndeclaredController {
  // Deliberately neither @Public nor @RequireScope: the checker and the guard must both catch it.
  @Get()
  oops() {
    return { leaked: true };
  }
}
@Module({ controllers: [UndeclaredController] })
class UndeclaredModule {}

describe('every route declares a scope or @Public, and only granted scopes pass (full ApiModule)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let withBug: RunningApi;

  before(async () => {
    db = await createTestDatabase('keysroutes');
    api = await startApi();
  });
  after(async () => {
    await api?.close();
    await withBug?.close();
    await db?.drop();
  });

  it('finds no route of the api without @RequireScope or @Public', () => {
    const routes = enumerateRoutes(api.app);
    assert.ok(routes.some((r) => r.path === '/v1/keys' && r.method === 'POST'), 'enumeration found the key routes');
    assert.ok(routes.some((r) => r.path === '/health/live'), 'enumeration found the health routes');
    const undeclared = routes.filter((r) => !r.isPublic && !r.scopes);
    assert.deepEqual(undeclared.map((r) => `${r.method} ${r.path} (${r.handler})`), []);
    for (const r of routes) for (const s of r.scopes ?? []) assert.ok((SCOPES as readonly string[]).includes(s), `${r.path} names unknown scope ${s}`);
  });

  it('the check fails, and the guard refuses everyone, when a route declares neither', async () => {
    withBug = await startApi({ extraModules: [UndeclaredModule] });
    const undeclared = enumerateRoutes(withBug.app).filter((r) => !r.isPublic && !r.scopes);
    assert.deepEqual(undeclared.map((r) => r.path), ['/__undeclared']);
    const all = await createTestKey(withBug.app, { scopes: 'all' });
    const res = await fetch(`${withBug.url}/__undeclared`, { headers: bearer(all) });
    assert.equal(res.status, 403);
    assert.equal((await fetch(`${withBug.url}/__undeclared`)).status, 403);
  });

  it('every route x scope pair: only the granted pairs get past the guard', async () => {
    const routes = enumerateRoutes(api.app).filter((r) => r.scopes);
    const keys = new Map<Scope, string>();
    for (const s of SCOPES) keys.set(s, await createTestKey(api.app, { scopes: [s], name: `only ${s}`, limits: { burstPerSecond: 100_000 } }));
    const failures: string[] = [];
    let granted = 0;
    for (const r of routes) {
      const url = api.url + r.path.replace(/:(\w+)/g, 'zzzz-$1');
      await Promise.all(
        SCOPES.map(async (scope) => {
          const allowed = r.scopes!.includes(scope);
          const hasBody = ['POST', 'PUT', 'PATCH'].includes(r.method);
          let status = 0;
          let type = '';
          try {
            const res = await fetch(url, {
              method: r.method,
              headers: { ...bearer(keys.get(scope)!), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
              body: hasBody ? '{}' : undefined,
              signal: AbortSignal.timeout(allowed ? 10_000 : 5_000),
            });
            status = res.status;
            type = res.headers.get('content-type')?.includes('json') ? String(((await res.json().catch(() => ({}))) as any).type ?? '') : '';
          } catch {
            // A handler that takes long is past the guard; a refusal is always immediate.
            status = allowed ? -1 : 0;
          }
          const refusedByGuard = status === 401 || (status === 403 && type.endsWith('/insufficient-scope'));
          if (allowed && refusedByGuard) failures.push(`${r.method} ${r.path} with ${scope}: refused (${status} ${type})`);
          if (!allowed && !(status === 403 && type.endsWith('/insufficient-scope'))) failures.push(`${r.method} ${r.path} with ${scope}: got ${status} ${type}`);
          if (allowed) granted++;
        }),
      );
    }
    assert.deepEqual(failures, []);
    assert.ok(granted >= routes.length, 'each scoped route was tried with a granted scope');
  });
});
