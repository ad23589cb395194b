import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { CoreConfig } from '../config/core.config';
import { parseCidrList, resolveClientIp } from '../net/cidr';
import { requestIdFor } from './request-id';
import { sendProblem } from './problem-details.filter';
import { ProblemException, validationFailed } from './problem';

/** Dotted path of the first string (or key) holding a NUL character, or null. */
function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return p;
    const hit = findNul(v, p);
    if (hit !== null) return hit;
  }
  return null;
}
import sjson from 'secure-json-parse';

/**
 * JSON bodies: keep the raw bytes (webhook signatures are computed over them, never over
 * re-serialised JSON), refuse prototype poisoning, and say where a syntax error is.
 * Apps pass `bodyParser: false` to Nest so this is the only JSON parser.
 */
export function registerJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify's built-in parser would match application/json before any regex parser.
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  const parse = (req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const raw = body as Buffer;
    (req as { rawBody: Buffer }).rawBody = raw;
    if (raw.length === 0) return done(new ProblemException(400, 'malformed-json', 'The body is empty but Content-Type says JSON'), undefined);
    let parsed: unknown;
    try {
      parsed = sjson.parse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (err) {
      return done(new ProblemException(400, 'malformed-json', `The body is not valid JSON: ${(err as Error).message}`), undefined);
    }
    // Postgres refuses NUL in text; catch it here as a 400 rather than as a 500 from the database.
    // The byte scan is cheap and only a hit pays for the walk that names the field.
    if (raw.includes('\\u0000')) {
      const field = findNul(parsed, '');
      if (field !== null) return done(validationFailed([{ field: field || '(body)', message: 'must not contain NUL (\\u0000) characters' }]), undefined);
    }
    done(null, parsed);
  };
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, parse);
  fastify.addContentTypeParser(/^application\/[\w.+-]+\+json(;.*)?$/i, { parseAs: 'buffer', bodyLimit }, parse);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Client address after applying TRUSTED_PROXIES (IPv4-mapped IPv6 normalised). */
    clientIp: string;
    /**
     * The matched route's template (`/v1/products/:sku`); undefined for a 404 or a request refused
     * before the onRequest hooks. Read once per request in configureHttpPipeline's hook: Fastify's
     * `routeOptions` getter builds and freezes a 12-field object on every read (about 90 ns), and
     * the key guard, the duration histogram and the access log each want the template.
     */
    routeUrl: string | undefined;
  }
}

export function createFastifyAdapter(cfg: CoreConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: cfg.BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    requestIdHeader: false,
    // Client address is resolved by our own hook so X-Forwarded-For is only believed from TRUSTED_PROXIES.
    trustProxy: false,
    // Nest's default 'return503OnClosing' answers in plain text; we drain in-flight requests instead.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    logger: false,
  });
}

/**
 * Fastify-level hooks every HTTP app shares: request id header, client address, safe default
 * headers, and problem+json for errors raised before Nest's pipeline (body parsing, 404s).
 */
export function configureHttpPipeline(app: NestFastifyApplication, cfg: CoreConfig): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const trusted = parseCidrList(cfg.TRUSTED_PROXIES);

  fastify.decorateRequest('clientIp', '');
  fastify.decorateRequest('routeUrl', undefined);
  fastify.addHook('onRequest', (req, reply, done) => {
    req.routeUrl = req.routeOptions.url;
    req.clientIp = resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
    reply.header('x-request-id', req.id);
    // Defaults set here rather than in an onSend hook (one hook run less per request): a handler
    // that sets its own cache-control overwrites this one, and Fastify keeps headers on errors.
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    // An encoded NUL in the path or query would reach Postgres (which refuses it) as a 500.
    if (req.url.includes('%00')) {
      return sendProblem(reply, String(req.id), new ProblemException(400, 'bad-request', 'The URL must not contain NUL (%00) characters'), req);
    }
    done();
  });
  registerJsonParser(fastify, cfg.BODY_LIMIT_BYTES);
  // 404s and errors raised before Nest's pipeline (body parsing) reach ProblemDetailsFilter
  // through the handlers Nest installs on Fastify; nothing to add here.
}
