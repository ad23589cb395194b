import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { STATUS_CODES } from 'node:http';
import { declaredAccess, declaredRoutes, RouteAccess } from '../auth/declared-routes';
import type { RawJsonBodyConfig } from '../http/http-pipeline';
import { defaultSlugForStatus, PROBLEM_TYPE_BASE } from '../http/problem';
import { API_OMIT_PROBLEMS, API_PROBLEMS, ProblemDoc } from './api-problem.decorator';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_SCHEMA_REF = '#/components/schemas/Problem';

/** CONTRACT "Errors": every error body (RFC 9457). */
export const PROBLEM_SCHEMA = {
  type: 'object',
  description:
    'RFC 9457 problem details, the body of every error. Switch on the slug `type` ends with (the response lists the ones it can carry in `x-problem-types`). ' +
    'Some problems add members, e.g. `requiredScope` (insufficient-scope) or `errors` (validation-failed).',
  required: ['type', 'title', 'status', 'detail', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri', example: `${PROBLEM_TYPE_BASE}not-found`, description: `${PROBLEM_TYPE_BASE} plus a stable slug` },
    title: { type: 'string', example: 'Not found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'Product NS-VITC-SERUM-30 was not found' },
    requestId: { type: 'string', description: 'Also in the `X-Request-Id` header; quote it to support' },
    errors: {
      type: 'array',
      description: 'validation-failed (and a few others): each bad field',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', example: 'items.0.quantity' }, message: { type: 'string', example: 'must not be less than 1' } },
      },
    },
  },
  additionalProperties: true,
};

const RATE_LIMIT_HEADERS = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } },
  'RateLimit-Policy': { description: 'e.g. `"burst";q=5;w=1, "monthly";q=5000;w=2592000`', schema: { type: 'string' } },
  RateLimit: { description: 'e.g. `"burst";r=0;t=1` (remaining, seconds to reset)', schema: { type: 'string' } },
};

/** What the API key check answers on every key-protected route (CONTRACT "API keys"). */
const KEY_PROBLEMS: ProblemDoc[] = [
  { status: 400, slug: 'bad-request', when: 'the API key was sent twice, or `Authorization` and `X-API-Key` carry different keys' },
  { status: 401, slug: 'missing-api-key', when: 'no `Authorization: Bearer` or `X-API-Key` header' },
  { status: 401, slug: 'invalid-api-key', when: 'malformed, bad checksum, unknown keyId or wrong secret (one identical body for all)' },
  { status: 401, slug: 'expired-api-key', when: 'the key is past its `expiresAt` (or the overlap of its rotation)' },
  { status: 401, slug: 'revoked-api-key', when: 'the key was revoked' },
  { status: 403, slug: 'insufficient-scope', when: 'the key holds none of the scopes this route needs (named in `requiredScope`)' },
  { status: 403, slug: 'ip-not-allowed', when: "the caller's address is outside the key's `allowedCidrs`" },
  { status: 429, slug: 'rate-limited', when: "over the key's requests per second, or too many failed authentications from this address", retryAfter: true },
  { status: 429, slug: 'quota-exceeded', when: "the key's daily or monthly quota is used up", retryAfter: true },
  { status: 429, slug: 'abnormal-usage-detected', when: 'the key is paused by the circuit breaker after an abnormal burst', retryAfter: true },
];
const BODY_PROBLEMS: ProblemDoc[] = [
  { status: 400, slug: 'validation-failed', when: 'a field is missing, malformed or unknown (`errors` lists each)' },
  { status: 400, slug: 'malformed-json', when: 'the body is not valid JSON' },
];
const QUERY_PROBLEMS: ProblemDoc[] = [{ status: 400, slug: 'validation-failed', when: 'a query parameter is malformed or unknown (`errors` lists each)' }];
const IDEMPOTENCY_PROBLEMS: ProblemDoc[] = [
  { status: 400, slug: 'missing-idempotency-key', when: 'no `Idempotency-Key` header' },
  { status: 400, slug: 'invalid-idempotency-key', when: '`Idempotency-Key` is not 1 to 255 visible ASCII characters' },
  { status: 409, slug: 'idempotency-key-in-use', when: 'a request with this `Idempotency-Key` is still being processed; retry shortly' },
  { status: 422, slug: 'idempotency-key-reused', when: 'this `Idempotency-Key` was already used with a different request' },
];

/** A DTO or controller class. */
type Class = abstract new (...args: never[]) => unknown;

interface RouteInfo {
  access: RouteAccess;
  problems: ProblemDoc[];
  omit: Set<number>;
  /** DTO classes of the handler's @Query() arguments. */
  queryTypes: Class[];
  /** DTO classes of its @Body() and @Query() arguments, for the integer rule. */
  dtoTypes: Class[];
  /** Takes JSON it cannot parse as raw bytes (RawJsonBodyConfig), so the JSON parser's 400s never reach its callers. */
  rawJsonBody: boolean;
}

/** Where `@RouteConfig()` of @nestjs/platform-fastify keeps a handler's Fastify route config (not exported by the package root). */
const FASTIFY_ROUTE_CONFIG_METADATA = '__fastify_route_config__';

/**
 * Fills in what the controllers' decorators leave out of the generated document, from the route
 * metadata the guards enforce (so the two cannot disagree):
 * - who may call each operation: `x-required-scopes` (any one of them) and the bearer/X-API-Key
 *   security, or `x-public: true` with `security: []`, plus a sentence in its description;
 * - its problem+json answers (one shared `Problem` schema): the API key check's 400/401/403/429 on
 *   key routes, 400 for a body or query, 404 for a path parameter, the Idempotency-Key answers, and
 *   the route's own (@ApiProblem); error responses a decorator declared get the
 *   problem+json content and any slug their description missed;
 * - `integer` for number properties and query parameters validated with @IsInt().
 * Mutates and returns `document`.
 */
export function completeOpenApiDocument(app: INestApplication, document: OpenAPIObject): OpenAPIObject {
  // Walked and patched as plain JSON: the typed OperationObject has no room for `x-` members.
  const doc = document as unknown as { components?: Record<string, any>; paths: Record<string, Record<string, any>> };
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas.Problem ??= PROBLEM_SCHEMA;

  const routes = scanRoutes(app);
  const integers = integerProperties([...routes.values()].flatMap((r) => r.dtoTypes));
  for (const [name, props] of integers.bySchema) {
    const schema = doc.components.schemas[name];
    for (const p of props) if (schema?.properties?.[p]?.type === 'number') schema.properties[p].type = 'integer';
  }

  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const) {
      const op = item[method];
      if (!op) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const route = routes.get(key);
      if (!route) continue;
      const params: { in: string; name: string; schema?: { type?: string } }[] = op.parameters ?? [];

      const problems: ProblemDoc[] = [];
      if (route.access.public) {
        op['x-public'] = true;
        op.security = [];
        op.description = sentence(op.description, 'No API key needed: this route is public.');
      } else if (route.access.scopes) {
        const scopes = route.access.scopes;
        op['x-required-scopes'] = scopes;
        const schemes = new Set((op.security ?? []).flatMap((s: object) => Object.keys(s)));
        for (const s of ['apiKey', 'bearer']) if (!schemes.has(s)) (op.security ??= []).push({ [s]: [] });
        op.description = sentence(op.description, `Needs an API key with the ${scopes.map((s) => `\`${s}\``).join(' or ')} scope.`);
        problems.push(...KEY_PROBLEMS);
      }
      if (op.requestBody && !route.rawJsonBody) problems.push(...BODY_PROBLEMS);
      if (params.some((p) => p.in === 'query')) problems.push(...QUERY_PROBLEMS);
      // What "not found" means is the route's to say (@ApiProblem(404, 'not-found', ...)).
      if (params.some((p) => p.in === 'path')) problems.push({ status: 404, slug: 'not-found' });
      if (params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) problems.push(...IDEMPOTENCY_PROBLEMS);
      problems.push(...route.problems);

      for (const q of route.queryTypes.flatMap((t) => integers.byClass.get(t) ?? [])) {
        const p = params.find((x) => x.in === 'query' && x.name === q);
        if (p?.schema?.type === 'number') p.schema.type = 'integer';
      }

      op.responses ??= {};
      const byStatus = new Map<number, ProblemDoc[]>();
      for (const p of problems) if (!route.omit.has(p.status)) byStatus.set(p.status, [...(byStatus.get(p.status) ?? []), p]);
      // Error responses a decorator declared still answer problem+json, with the types it names.
      for (const status of Object.keys(op.responses).map(Number)) {
        if (!(status >= 400)) continue; // 2xx, 3xx and `default`
        const named = slugsIn(op.responses[String(status)]?.description).map((slug) => ({ status, slug }));
        const list = [...named, ...(byStatus.get(status) ?? [])];
        byStatus.set(status, list.length ? list : [{ status, slug: defaultSlugForStatus(status) }]);
      }
      for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) op.responses[String(status)] = problemResponse(status, list, op.responses[String(status)]);
      op.responses = Object.fromEntries(Object.entries(op.responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  return document;
}

/** The problem slugs a hand-written response description names: `key-revoked`, `not-found`, ... */
function slugsIn(description: unknown): string[] {
  if (typeof description !== 'string') return [];
  return [...description.matchAll(/`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`/g)].map((m) => m[1]);
}

function sentence(description: string | undefined, s: string): string {
  if (description?.includes(s)) return description;
  return description ? `${description}\n\n${s}` : s;
}

/** One status's problem+json response, merged into what a decorator may have declared for it. */
function problemResponse(status: number, list: ProblemDoc[], declared: Record<string, any> | undefined): Record<string, any> {
  const notes = new Map<string, string[]>();
  for (const p of list) {
    const n = notes.get(p.slug) ?? [];
    if (p.when && !n.includes(p.when)) n.push(p.when);
    notes.set(p.slug, n);
  }
  const line = ([slug, n]: [string, string[]]) => `- \`${slug}\`${n.length ? `: ${n.join('; ')}` : ''}`;
  let description: string;
  if (declared?.description) {
    // Keep what the decorator says; add the types it does not name.
    const missing = [...notes].filter(([slug]) => !declared.description.includes(`\`${slug}\``));
    description = missing.length ? `${declared.description}\n\n${missing.map(line).join('\n')}` : declared.description;
  } else {
    description = `${STATUS_CODES[status] ?? 'Error'}, as \`${PROBLEM_MEDIA_TYPE}\`:\n\n${[...notes].map(line).join('\n')}`;
  }
  const headers: Record<string, unknown> = { ...(declared?.headers ?? {}) };
  if (status === 401) headers['WWW-Authenticate'] ??= { description: '`Bearer realm="novaskin-hub"`', schema: { type: 'string' } };
  if (status === 429) for (const [h, v] of Object.entries(RATE_LIMIT_HEADERS)) headers[h] ??= v;
  const retry = list.filter((p) => p.retryAfter).map((p) => p.slug);
  if (retry.length && !headers['Retry-After']) {
    headers['Retry-After'] = { description: `Seconds to wait before trying again (${retry.map((s) => `\`${s}\``).join(', ')})`, schema: { type: 'integer' } };
  }
  const { content: _declaredContent, ...rest } = declared ?? {};
  return {
    ...rest,
    description,
    ...(Object.keys(headers).length ? { headers } : {}),
    // Whatever a decorator said (a health report, nothing at all), the filter answers problem+json.
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } } },
    'x-problem-types': [...notes.keys()],
  };
}

/** `GET /v1/products/{sku}` -> what the route's metadata declares, from every controller of the app. */
function scanRoutes(app: INestApplication): Map<string, RouteInfo> {
  const reflector = new Reflector();
  const routes = new Map<string, RouteInfo>();
  for (const r of declaredRoutes(new DiscoveryService(app.get(ModulesContainer)), new MetadataScanner())) {
    const { controller: ctrl, handler, proto, methodName: name } = r;
    const args: Record<string, { index: number }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, ctrl, name) ?? {};
    const paramTypes: unknown[] = Reflect.getMetadata('design:paramtypes', proto, name) ?? [];
    const argTypes = (kind: RouteParamtypes) =>
      Object.entries(args)
        .filter(([k]) => Number(k.split(':')[0]) === kind)
        .map(([, a]) => paramTypes[a.index])
        .filter((t): t is Class => typeof t === 'function' && t !== Object && t !== String && t !== Number);
    routes.set(`${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, {
      access: declaredAccess(reflector, handler, ctrl),
      problems: [...((Reflect.getMetadata(API_PROBLEMS, ctrl) as ProblemDoc[]) ?? []), ...((Reflect.getMetadata(API_PROBLEMS, handler) as ProblemDoc[]) ?? [])],
      omit: new Set([...((Reflect.getMetadata(API_OMIT_PROBLEMS, ctrl) as number[]) ?? []), ...((Reflect.getMetadata(API_OMIT_PROBLEMS, handler) as number[]) ?? [])]),
      queryTypes: argTypes(RouteParamtypes.QUERY),
      dtoTypes: [...argTypes(RouteParamtypes.BODY), ...argTypes(RouteParamtypes.QUERY)],
      rawJsonBody: (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as RawJsonBodyConfig | undefined)?.rawJsonBody === true,
    });
  }
  return routes;
}

/**
 * Properties validated with @IsInt(), per DTO class and per schema name, over the given classes and
 * the classes their properties nest (by their @ApiProperty type).
 */
function integerProperties(roots: Class[]): { byClass: Map<Class, string[]>; bySchema: Map<string, string[]> } {
  const byClass = new Map<Class, string[]>();
  const bySchema = new Map<string, string[]>();
  const storage = getMetadataStorage();
  const queue = [...roots];
  while (queue.length) {
    const cls = queue.pop()!;
    if (byClass.has(cls)) continue;
    const ints = [...new Set(storage.getTargetValidationMetadatas(cls, '', true, false).filter((m) => m.name === 'isInt' && !m.each).map((m) => m.propertyName))];
    byClass.set(cls, ints);
    if (ints.length) bySchema.set((Reflect.getMetadata('swagger/apiSchema', cls) as { name?: string } | undefined)?.name ?? cls.name, ints);
    for (const prop of (Reflect.getMetadata('swagger/apiModelPropertiesArray', cls.prototype) as string[] | undefined) ?? []) {
      let t = (Reflect.getMetadata('swagger/apiModelProperties', cls.prototype, prop.replace(/^:/, '')) as { type?: unknown } | undefined)?.type;
      if (Array.isArray(t)) t = t[0];
      // `type: () => Dto` (a thunk, no prototype) or the class itself.
      if (typeof t === 'function' && !t.prototype) t = (t as () => unknown)();
      if (typeof t === 'function' && t.prototype && ![String, Number, Boolean, Object, Date, Array].includes(t as never)) queue.push(t as Class);
    }
  }
  return { byClass, bySchema };
}
