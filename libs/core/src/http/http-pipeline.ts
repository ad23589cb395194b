import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreConfig } from '../config/core.config';
import { storableText } from '../database/storable-text';
import { parseCidrList, resolveClientIp } from '../net/cidr';
import { mintRequestId, requestIdFor } from './request-id';
import { sendProblem, toProblem } from './problem-details.filter';
import { ProblemException, validationFailed } from './problem';


/**
 * The first string (or key) Postgres would refuse, with its dotted path, or null. Only reached
 * when the bytes hold a `\u` escape (the only way either can get in: invalid UTF-8 decodes to
 * U+FFFD), so ordinary bodies never pay for the walk.
 */
function findRefused(value: unknown, path: string): { path: string; text: string } | null {
  if (typeof value === 'string') return !storableText(value) ? { path, text: value } : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (!storableText(k)) return { path: p, text: k };
    const hit = findRefused(v, p);
    if (hit !== null) return hit;
  }
  return null;
}

/**
 * Objects and arrays nested deeper than this are refused: validation and serialisation recurse
 * over the body, and a few thousand levels (a 20 KB body) overflow the stack as a 500. Real
 * bodies here are a handful of levels deep.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `value` (an object or array counts as one level) nests more than `levels` deep. The
 * recursion stops at `levels`, so it never goes deeper than MAX_JSON_DEPTH frames.
 */
function deeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (deeperThan(value[i], levels - 1)) return true;
    return false;
  }
  for (const k in value) if (deeperThan((value as Record<string, unknown>)[k], levels - 1)) return true;
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

/** Route config (`@RouteConfig({ rawJsonBody: true })`) of a route that takes JSON it could not parse as raw bytes. */
export interface RawJsonBodyConfig {
  rawJsonBody?: boolean;
}

/**
 * Answers a body the JSON parser cannot take. A route that authenticates the raw bytes (a signed
 * webhook) decides about them itself: it gets `rawBody` and no parsed body instead of the refusal,
 * so a signed body that is not JSON is stored and acknowledged rather than redelivered for days.
 */
function refuse(req: FastifyRequest, done: (err: Error | null, body?: unknown) => void, problem: ProblemException): void {
  if ((req.routeOptions.config as RawJsonBodyConfig | undefined)?.rawJsonBody === true) done(null, undefined);
  else done(problem, undefined);
}

/**
 * JSON bodies: keep the raw bytes (webhook signatures are computed over them, never over
 * re-serialised JSON), refuse prototype poisoning, and say where a syntax error is.
 * Apps pass `bodyParser: false` to Nest so this is the only JSON parser.
 */
export function registerJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify's built-in parser would match application/json before any regex parser.
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  // JSON only (README): Fastify's built-in text/plain parser would hand a JSON-looking text body to
  // validation as a string, which then reports every field missing; 415 says what is wrong.
  if (fastify.hasContentTypeParser('text/plain')) fastify.removeContentTypeParser('text/plain');
  const parse = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const raw = body as Buffer;
    // Nothing here inflates a compressed body: parsed as is it would be "not valid JSON", echoing binary.
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return done(new ProblemException(415, 'unsupported-media-type', `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the JSON body uncompressed`), undefined);
    }
    (req as unknown as { rawBody: Buffer }).rawBody = raw;
    if (raw.length === 0) return refuse(req, done, new ProblemException(400, 'malformed-json', 'The body is empty but Content-Type says JSON'));
    let parsed: unknown;
    try {
      parsed = sjson.parse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (err) {
      return refuse(req, done, new ProblemException(400, 'malformed-json', `The body is not valid JSON: ${(err as Error).message}`));
    }
    if (manyBrackets(raw, MAX_JSON_DEPTH) && deeperThan(parsed, MAX_JSON_DEPTH)) {
      return refuse(req, done, new ProblemException(400, 'malformed-json', `The body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`));
    }
    // Caught here as a 400 naming the field rather than as a 500 from the database.
    if (raw.includes('\\u')) {
      const hit = findRefused(parsed, '');
      if (hit !== null) {
        const message = hit.text.includes('\u0000') ? 'must not contain NUL (\\u0000) characters' : 'must not contain a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)';
        return refuse(req, done, validationFailed([{ field: hit.path || '(body)', message }]));
      }
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

/**
 * The headers every response carries, router refusals included. Set as the request arrives rather
 * than in an onSend hook (one hook run less per request): a handler that sets its own
 * cache-control overwrites this one, and Fastify keeps headers on errors.
 */
function setDefaultHeaders(req: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', req.id);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('cache-control', 'no-store');
}

/**
 * Requests Node's HTTP parser refuses before any route or hook sees them (a control character in a
 * header, a bad byte in the URL, Content-Length with Transfer-Encoding, headers over the size
 * limit, a request that took too long to arrive): answered as problem+json with an X-Request-Id,
 * like every other error, instead of Fastify's plain JSON. The connection is closed after it, as
 * Node does: the parser's state is unknown.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, slug, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request-timeout', 'The request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request-header-fields-too-large', 'The request headers are larger than the server accepts']
        : [400, 'bad-request', 'The request is not valid HTTP (for example a control character in a header, a non-ASCII byte in the URL, or both Content-Length and Transfer-Encoding)'];
  const requestId = mintRequestId();
  const body = JSON.stringify(toProblem(new ProblemException(status, slug, detail), requestId).body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
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
    clientErrorHandler: answerClientError,
    // A malformed percent-encoding or an over-long path parameter is refused by Fastify's router
    // before any hook runs; without this it answers in Fastify's own JSON, with no request id.
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      setDefaultHeaders(req, reply);
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
    setDefaultHeaders(req, reply);
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
