import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreConfig } from '../config/core.config';
import { parseCidrList, resolveClientIp } from '../net/cidr';
import { requestIdFor } from './request-id';
import { sendProblem } from './problem-details.filter';
import { ProblemException, validationFailed } from './problem';

/**
 * Dotted path of the first string (or key) the database would refuse (`bad` says which), or null.
 * Only reached when a byte scan found a candidate, so ordinary bodies never pay for the walk.
 */
function findString(value: unknown, path: string, bad: (s: string) => boolean): string | null {
  if (typeof value === 'string') return bad(value) ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (bad(k)) return p;
    const hit = findString(v, p, bad);
    if (hit !== null) return hit;
  }
  return null;
}

const hasNul = (s: string) => s.includes('\u0000');
/** A lone UTF-16 surrogate (from a `\ud800`-style escape): Postgres refuses it in text and jsonb. */
const notWellFormed = (s: string) => !s.isWellFormed();

/**
 * Objects and arrays nested deeper than this are refused: validation and serialisation recurse
 * over the body, and a few thousand levels (a 20 KB body) overflow the stack as a 500. Real
 * bodies here are a handful of levels deep.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests objects or arrays deeper than `max` (iterative: the body may be deep). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v as Record<string, unknown>)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Whether the body has more than `max` opening brackets: a cheap bound, so only such bodies are walked. */
function manyBrackets(raw: Buffer, max: number): boolean {
  let n = 0;
  for (const ch of [0x7b, 0x5b]) {
    let at = raw.indexOf(ch);
    while (at !== -1) {
      if (++n > max) return true;
      at = raw.indexOf(ch, at + 1);
    }
  }
  return false;
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
    if (manyBrackets(raw, MAX_JSON_DEPTH) && deeperThan(parsed, MAX_JSON_DEPTH)) {
      return done(new ProblemException(400, 'malformed-json', `The body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`), undefined);
    }
    // Postgres refuses NUL and lone surrogates in text; catch them here as a 400 rather than as a
    // 500 from the database. Both can only come from a \u escape (invalid UTF-8 bytes decode to
    // U+FFFD), so the byte scans are cheap and only a hit pays for the walk that names the field.
    if (raw.includes('\\u0000')) {
      const field = findString(parsed, '', hasNul);
      if (field !== null) return done(validationFailed([{ field: field || '(body)', message: 'must not contain NUL (\\u0000) characters' }]), undefined);
    }
    if (raw.includes('\\ud') || raw.includes('\\uD')) {
      const field = findString(parsed, '', notWellFormed);
      if (field !== null) return done(validationFailed([{ field: field || '(body)', message: 'must not contain a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)' }]), undefined);
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
    // A malformed percent-encoding or an over-long path parameter is refused by Fastify's router
    // before any hook runs; without this it answers in Fastify's own JSON, with no request id.
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', req.id);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', 'no-store');
      const problem =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new ProblemException(414, 'uri-too-long', 'A path segment of this URL is longer than any identifier the hub issues')
          : err.code === 'FST_ERR_BAD_URL'
            ? new ProblemException(400, 'bad-request', 'The URL is not valid: a percent-encoded sequence in its path is malformed')
            : new ProblemException(400, 'bad-request', 'The request could not be routed');
      sendProblem(reply, String(req.id), problem, req);
    },
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
