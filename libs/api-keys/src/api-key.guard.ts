import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import { AuditService, cidrContains, MetricsService, normalizeIp, ProblemException, routeAccess, Scope, scopeMask, sendProblem } from '@hub/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { ApiKeysConfig } from './api-keys.config';
import { ApiKeysService } from './api-keys.service';
import { AUDIT, QUOTA_POLICY } from './constants';
import { CachedKey, KeyCacheService } from './key-cache.service';
import { KEY_LENGTH, parseKey, ParsedKey } from './key-format';
import { AbnormalUsageBreaker, AuthFailureLimiter, BurstLimiter } from './limits/burst-limiter';
import { InstanceRegistryService } from './limits/instance-registry.service';
import { QuotaDecision, QuotaLeaseService } from './limits/quota-lease.service';
import { PepperRing } from './pepper';
import { RouteUsageHolder, UsageRecorderService } from './usage/usage-recorder.service';
import { buildRouteAccessMap, RouteAccess } from './route-access-map';

/** The quota period a request took a unit from, so a 401/403 answered by its handler can give it back. */
const QUOTA_TAKEN = Symbol('hub:api-key-quota-taken');
/** The admitted key's cached record, for counting its usage when the response ends. */
const ENTRY = Symbol('hub:api-key-entry');
/** The admitted route's usage holder, for counting per-route usage when the response ends. */
const ROUTE = Symbol('hub:api-key-route');
/** A parsed key whose secret matched, with the cached record it matched (see canActivate). */
type RememberedKey = ParsedKey & { entry?: CachedKey };
/** A route's declared access, with its scopes as bits for the per-request check. */
interface GuardedRoute {
  public: boolean;
  scopes: string[] | null;
  mask: number;
  /** Per-route usage (routes the onRequest hook maps; null for those only the guard sees). */
  endpoint: RouteUsageHolder | null;
}
/** A route's access as the guard checks it: a public route has no scopes; the mask is computed once. */
function guarded(access: RouteAccess, endpoint: RouteUsageHolder | null = null): GuardedRoute {
  const scopes = access.public ? null : access.scopes;
  return { public: access.public, scopes, mask: scopeMask(scopes ?? []), endpoint };
}
type WithParsed = FastifyRequest & { [QUOTA_TAKEN]?: string; [ENTRY]?: CachedKey; [ROUTE]?: RouteUsageHolder | null };

/**
 * A module-local binding for the hot path's `instanceof`: `@hub/core` re-exports through `export *`,
 * whose getters share one closure (`return m[k]`), so every access through the barrel is a
 * megamorphic property load. Measured at about 0.2 us a request on this path.
 */
const Problem = ProblemException;

/** Anything longer cannot be a key; refused before any parsing work. */
const MAX_HEADER_LENGTH = 512;
const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="novaskin-hub"' };

/**
 * Constant-time comparison of two secrets of the fixed key length (parseKey guarantees it): every
 * character is compared whatever the earlier ones were, and nothing is allocated.
 */
function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The key header a request sends more than once ('Authorization' or 'X-API-Key'), or null. */
function repeatedAuthHeader(raw: string[]): 'Authorization' | 'X-API-Key' | null {
  let auth = 0;
  let xKey = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    // Exact spellings first: toLowerCase allocates, and this runs on every keyed request.
    if (n.length === 13 && (n === 'authorization' || n === 'Authorization' || n.toLowerCase() === 'authorization')) auth++;
    else if (n.length === 9 && (n === 'x-api-key' || n === 'X-API-Key' || n.toLowerCase() === 'x-api-key')) xKey++;
  }
  return auth > 1 ? 'Authorization' : xKey > 1 ? 'X-API-Key' : null;
}

/** Adds a verified header value to a bounded memo, dropping the oldest entry when full. */
function remember(memo: Map<string, ParsedKey>, header: string, parsed: ParsedKey, max: number): void {
  if (memo.has(header)) return;
  if (memo.size >= max) memo.delete(memo.keys().next().value as string);
  memo.set(header, parsed);
}

/**
 * The one answer for a malformed key, a bad checksum, an unknown keyId and a wrong secret, so a
 * caller cannot tell which it was. Bodies differ only in `requestId`, which CONTRACT requires on
 * every problem (tests compare the bodies with requestId removed).
 */
const INVALID_KEY = new ProblemException(401, 'invalid-api-key', 'The API key is not valid', { headers: WWW_AUTHENTICATE });
const MISSING_KEY = new ProblemException(401, 'missing-api-key', 'Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`', { headers: WWW_AUTHENTICATE });
/** Shared instances: the body carries the request's own requestId, and reusing them skips a stack capture per refusal. */
function invalidKey(): ProblemException {
  return INVALID_KEY;
}

/**
 * Deny-by-default global guard: a route is reachable only if it is @Public or the presented API
 * key is valid, allowed from this address, holds one of the route's scopes and is within its
 * limits. Cheapest checks first; the common (cached, leased) case does no I/O at all.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyGuard');
  private readonly peppers: PepperRing;
  private readonly burst = new BurstLimiter();
  private readonly breaker = new AbnormalUsageBreaker();
  private readonly failures: AuthFailureLimiter;
  private readonly rejectionCounter: Counter<'reason'>;
  /** Labelled children resolved once: prom-client's label hashing is measurable on a storm. */
  private readonly rejected = new Map<string, { inc(): void }>();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly accessByHandler = new WeakMap<object, GuardedRoute>();
  private readonly missingPeppers = new Set<number>();
  /**
   * Header value -> parsed key, for keys whose secret has already matched: the usual request then
   * skips the regex, the shape scan and the CRC. A Map lookup hashes the whole string (its time
   * does not depend on where a wrong key differs) and only ever finds a key that verified before;
   * the cached record is still checked on every request (revocation, expiry, scopes, limits).
   * One map per header: an `Authorization` value is `Bearer <key>` and an `X-API-Key` value the
   * bare key, so a value remembered from one header must never admit the other (`X-API-Key:
   * Bearer <key>` would otherwise pass on an instance that had seen the key in Authorization).
   */
  private readonly parsedByAuthorization = new Map<string, ParsedKey>();
  private readonly parsedByApiKey = new Map<string, ParsedKey>();
  private readonly parsedByHeaderMax: number;
  /** True once the Fastify onResponse hook counts usage (otherwise each request listens for 'finish'). */
  private usageHooked = false;

  constructor(
    private readonly reflector: Reflector,
    private readonly cache: KeyCacheService,
    private readonly quota: QuotaLeaseService,
    private readonly instances: InstanceRegistryService,
    private readonly usage: UsageRecorderService,
    private readonly audit: AuditService,
    keys: ApiKeysService,
    cfg: ApiKeysConfig,
    metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    this.peppers = keys.peppers;
    this.failures = new AuthFailureLimiter(cfg.AUTH_FAILURES_PER_MINUTE);
    this.parsedByHeaderMax = cfg.API_KEY_CACHE_MAX;
    this.rejectionCounter = metrics.counter('api_key_rejections_total', 'Requests refused by the API key guard, by reason', ['reason']);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      const now = Date.now();
      this.burst.sweep(now);
      this.breaker.sweep(now);
      this.failures.sweep(now);
    }, 10_000);
    this.sweeper.unref();
    this.installFastPath();
  }

  /**
   * Checks the key of a request to a key-protected route in a Fastify onRequest hook, before
   * Nest's pipeline: the whole check (the same `check` the guard runs) happens here, refusals are
   * answered here (a storm of made-up keys then costs less than a real request and never reaches
   * Postgres or Redis; a refused request's body is never parsed), and an admitted request reaches
   * canActivate with `req.auth` set, which is all the guard then looks at. Same bodies as the guard.
   */
  private installFastPath(): void {
    const fastify = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    // By route template, then method: two lookups on strings whose hashes V8 keeps (Fastify's route
    // template, Node's method table) rather than hashing a new `${method} ${url}` on every request
    // (about 80 ns, on every route).
    const routes = new Map<string, Map<string, GuardedRoute>>();
    for (const [route, access] of buildRouteAccessMap(this.discovery, this.scanner, this.reflector)) {
      const space = route.indexOf(' ');
      const url = route.slice(space + 1);
      let byMethod = routes.get(url);
      if (!byMethod) routes.set(url, (byMethod = new Map()));
      byMethod.set(route.slice(0, space), guarded(access, this.usage.routeHolder(route)));
    }
    // Declared up front so every request object has the same shape: properties added to some
    // requests only would make Fastify's and Nest's own property accesses polymorphic.
    fastify.decorateRequest('auth', undefined);
    fastify.decorateRequest(QUOTA_TAKEN, undefined);
    fastify.decorateRequest(ENTRY, undefined);
    fastify.decorateRequest(ROUTE, undefined);
    fastify.addHook('onRequest', (req, reply, done) => {
      // The template core's onRequest hook read (it runs first, and undefined on a 404).
      const route = routes.get(req.routeUrl as string)?.get(req.method);
      // Routes the map does not know (HEAD, a route declaring no scope) are left to the guard.
      if (!route || route.public || !route.scopes) return done();
      (req as WithParsed)[ROUTE] = route.endpoint;
      // A malformed key is refused without a throw: on a storm of them, this is every request.
      const parsed = this.readKey(req);
      if (parsed instanceof Problem) return sendProblem(reply, String(req.id), parsed, req);
      let verdict: boolean | Promise<boolean>;
      try {
        verdict = this.check(parsed, route, req, reply);
      } catch (err) {
        return this.refuse(err, req, reply, done);
      }
      if (verdict === true) return done();
      (verdict as Promise<boolean>).then(
        () => done(),
        (err: unknown) => this.refuse(err, req, reply, done),
      );
    });
    // Usage is counted when the response is finished, so the status and latency are known.
    fastify.addHook('onResponse', (req, reply, done) => {
      const auth = req.auth;
      if (auth) this.finished(req, auth.keyId, reply.statusCode, reply.elapsedTime);
      done();
    });
    this.usageHooked = true;
  }

  /**
   * Answers a refusal (a ProblemException) from the hook. Anything else thrown (a bug, Postgres
   * down) goes to Fastify's error handler, which is Nest's exception filter, so it is logged and
   * rendered as usual.
   */
  private refuse(err: unknown, req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    if (err instanceof Problem) sendProblem(reply, String(req.id), err, req);
    else done(err as Error);
  }

  /**
   * Counts an admitted request's usage. A 401/403 here came from the handler (the guard's own
   * refusals happen before the quota is touched): CONTRACT says it does not count against the
   * quota, so the unit goes back.
   */
  private finished(req: FastifyRequest, keyId: string, status: number, elapsedMs: number): void {
    const r = req as WithParsed;
    this.usage.record(keyId, status, elapsedMs, Date.now(), r[ENTRY], r[ROUTE] ?? null, req.headers['user-agent'], req.headers['x-client-version']);
    const periodId = (req as WithParsed)[QUOTA_TAKEN];
    if (periodId !== undefined && (status === 401 || status === 403)) this.quota.refund(keyId, periodId);
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    // getArgByIndex, not switchToHttp(): the latter allocates a host object on every request.
    const req = ctx.getArgByIndex<FastifyRequest>(0);
    // Admitted by the onRequest hook, which checked this very route's scopes (see installFastPath).
    if (req.auth !== undefined) return true;
    const handler = ctx.getHandler();
    let access = this.accessByHandler.get(handler);
    if (!access) {
      access = guarded(routeAccess(this.reflector, ctx));
      this.accessByHandler.set(handler, access);
    }
    if (access.public) return true;
    if (!access.scopes) {
      // A route that declares neither a scope nor @Public is a bug; no key may reach it.
      throw new ProblemException(403, 'insufficient-scope', 'This route declares no scope, so no API key may call it');
    }
    const parsed = this.readKey(req);
    if (parsed instanceof Problem) throw parsed;
    return this.check(parsed, access, req, ctx.getArgByIndex<FastifyReply>(1));
  }

  /**
   * The check of a well-formed key presented to a key-protected route: true (admitted, `req.auth`
   * set), a promise of it (the key or a quota lease had to be fetched), or a thrown ProblemException.
   */
  private check(parsed: ParsedKey, access: GuardedRoute, req: FastifyRequest, reply: FastifyReply): boolean | Promise<boolean> {
    const now = Date.now();
    const ip = req.clientIp || normalizeIp(req.socket.remoteAddress ?? '');
    const blocked = this.failures.blockedFor(ip, now);
    if (blocked) {
      this.reject('auth-failures');
      throw new ProblemException(429, 'rate-limited', 'Too many failed authentications from this address; try again later', {
        headers: { 'Retry-After': String(blocked) },
      });
    }
    // A remembered key carries the record it verified against; still the cache's and within its TTL,
    // it is used as is (revocation and every other change drop it: see KeyCacheService.drop).
    const held = (parsed as RememberedKey).entry;
    const cached = held !== undefined && this.cache.fresh(held, now) ? held : this.cache.peek(parsed.keyId, now);
    if (cached !== undefined) return this.verify(cached, parsed, access, req, reply, ip, now);
    return this.cache.load(parsed.keyId).then((entry) => this.verify(entry, parsed, access, req, reply, ip, Date.now()));
  }

  private reject(reason: string): void {
    let c = this.rejected.get(reason);
    if (!c) {
      c = this.rejectionCounter.labels(reason);
      this.rejected.set(reason, c);
    }
    c.inc();
  }

  /**
   * The parsed key from `Authorization: Bearer` or `X-API-Key` (both only if they agree), or the
   * problem to answer. Returned rather than thrown: on a storm of bad keys this runs for every
   * request, and the refusal should cost less than serving one.
   */
  private readKey(req: FastifyRequest): ParsedKey | ProblemException {
    const auth = req.headers.authorization;
    const xKey = req.headers['x-api-key'];
    let fromAuth: string | undefined;
    if (auth !== undefined || xKey !== undefined) {
      // Node keeps only the first Authorization header; a second one is a client bug or an attack.
      const repeated = repeatedAuthHeader(req.raw.rawHeaders);
      if (repeated !== null) {
        return new ProblemException(400, 'bad-request', 'Send one Authorization or X-API-Key header', {
          extensions: { errors: [{ field: repeated, message: 'must be sent once' }] },
        });
      }
    }
    const known =
      xKey === undefined ? (typeof auth === 'string' ? this.parsedByAuthorization.get(auth) : undefined) : auth === undefined && typeof xKey === 'string' ? this.parsedByApiKey.get(xKey) : undefined;
    if (known !== undefined) return known;
    if (typeof auth === 'string' && auth !== '') {
      const m = auth.length > MAX_HEADER_LENGTH ? null : /^Bearer +(\S+) *$/i.exec(auth);
      if (!m) {
        this.reject('malformed');
        return INVALID_KEY;
      }
      fromAuth = m[1];
    }
    const fromHeader = typeof xKey === 'string' && xKey !== '' ? xKey : Array.isArray(xKey) ? '' : undefined;
    if (fromAuth !== undefined && fromHeader !== undefined && fromAuth !== fromHeader) {
      return new ProblemException(400, 'bad-request', 'Authorization and X-API-Key carry different keys; send one', {
        extensions: { errors: [{ field: 'X-API-Key', message: 'differs from the key in Authorization' }] },
      });
    }
    const key = fromAuth ?? fromHeader;
    if (key === undefined) {
      this.reject('missing');
      return MISSING_KEY;
    }
    const parsed = key.length === KEY_LENGTH ? parseKey(key) : null;
    if (!parsed) {
      this.reject('malformed');
      return INVALID_KEY;
    }
    return parsed;
  }

  private fail(reason: string, keyId: string | null, ip: string, req: FastifyRequest, now: number, guess: boolean): void {
    this.reject(reason);
    // keyId is public; the presented secret never reaches a log line.
    this.logger.debug({ reason, keyId, ip, requestId: req.id }, 'api key refused');
    if (guess) this.failures.failed(ip, now);
    this.usage.authFailed(keyId, ip, reason, String(req.id), now);
  }

  private verify(
    entry: CachedKey | null,
    parsed: ParsedKey,
    route: GuardedRoute,
    req: FastifyRequest,
    reply: FastifyReply,
    ip: string,
    now: number,
  ): boolean | Promise<boolean> {
    if (!entry) {
      this.fail('unknown-key-id', parsed.keyId, ip, req, now, true);
      throw invalidKey();
    }
    // The usual request carries the very object that verified last time (remembered by header):
    // nothing to compare and nothing to remember.
    if (entry.verified !== parsed) {
      if (entry.environment !== parsed.environment || !this.secretMatches(entry, parsed)) {
        this.fail('wrong-secret', parsed.keyId, ip, req, now, true);
        throw invalidKey();
      }
      this.rememberHeader(req, parsed);
    }
    if ((parsed as RememberedKey).entry !== entry) (parsed as RememberedKey).entry = entry;
    // A flag, not a time: revoked_at is the database's now(), which an api host whose clock lags
    // the database would otherwise see as still to come.
    if (entry.revoked) {
      this.fail('revoked', entry.keyId, ip, req, now, false);
      throw new ProblemException(401, 'revoked-api-key', 'This API key has been revoked', { headers: WWW_AUTHENTICATE });
    }
    if (entry.expiresAtMs !== null && entry.expiresAtMs <= now) {
      this.fail('expired', entry.keyId, ip, req, now, false);
      throw new ProblemException(401, 'expired-api-key', `This API key expired at ${new Date(entry.expiresAtMs).toISOString()}`, { headers: WWW_AUTHENTICATE });
    }
    // The two 403s below count in the key's usage as errors (never against its quota): the key is
    // genuine, so a client stuck on them shows in its 4xx rate and the key-error-rate alert.
    if (entry.cidrs && !entry.cidrs.some((c) => cidrContains(c, ip))) {
      this.fail('ip-not-allowed', entry.keyId, ip, req, now, false);
      this.countRefusal(entry, 403, now);
      throw new ProblemException(403, 'ip-not-allowed', `This API key may not be used from ${ip}`, { extensions: { clientIp: ip } });
    }
    if ((entry.scopeMask & route.mask) === 0) {
      const scopes = route.scopes as Scope[];
      this.reject('insufficient-scope');
      this.countRefusal(entry, 403, now);
      throw new ProblemException(403, 'insufficient-scope', `This route needs the ${scopes.join(' or ')} scope`, {
        extensions: { requiredScope: scopes[0], requiredScopes: scopes },
      });
    }
    return this.limit(entry, req, reply, now);
  }

  /**
   * A refusal of a genuine key counts in its usage (never against its quota), through the record
   * it already holds rather than a lookup by keyId.
   */
  private countRefusal(entry: CachedKey, status: number, now: number): void {
    this.usage.record(entry.keyId, status, 0, now, entry);
  }

  /** Remembers the header a verified key came in, in that header's own map (see parsedByAuthorization). */
  private rememberHeader(req: FastifyRequest, parsed: ParsedKey): void {
    const auth = req.headers.authorization;
    const xKey = req.headers['x-api-key'];
    // Both headers (carrying the same key) are not remembered: that request always takes the full parse.
    if (xKey === undefined && typeof auth === 'string') remember(this.parsedByAuthorization, auth, parsed, this.parsedByHeaderMax);
    else if (auth === undefined && typeof xKey === 'string') remember(this.parsedByApiKey, xKey, parsed, this.parsedByHeaderMax);
  }

  /**
   * Constant-time either way. The first match runs the HMAC; the verified key is then kept with
   * the cached record (memory only, dropped with it) so later requests compare 32 bytes instead
   * of hashing: the process sees the secret in every request's header anyway.
   */
  private secretMatches(entry: CachedKey, parsed: ParsedKey): boolean {
    const verified = entry.verified;
    if (verified !== undefined && sameSecret(verified.secret, parsed.secret)) return true;
    const secret = parsed.secret;
    if (!this.peppers.has(entry.pepperVersion) && !this.missingPeppers.has(entry.pepperVersion)) {
      this.missingPeppers.add(entry.pepperVersion);
      this.logger.error({ pepperVersion: entry.pepperVersion }, `keys hashed with API_KEY_PEPPER v${entry.pepperVersion} cannot be verified: that version is not configured`);
    }
    if (!this.peppers.matches(secret, entry.pepperVersion, entry.hash)) return false;
    entry.verified = parsed;
    return true;
  }

  private limit(entry: CachedKey, req: FastifyRequest, reply: FastifyReply, now: number): boolean | Promise<boolean> {
    const { keyId, limits } = entry;
    const open = this.breaker.openFor(keyId, now);
    if (open) {
      this.reject('abnormal-usage');
      this.countRefusal(entry, 429, now);
      throw new ProblemException(429, 'abnormal-usage-detected', 'This API key is paused after an abnormal burst of requests', {
        headers: { 'Retry-After': String(open), 'RateLimit-Policy': entry.policy, RateLimit: `"burst";r=0;t=${open}` },
      });
    }
    const b = this.burst.take(keyId, limits.burstPerSecond, 1 / this.instances.count, now, entry);
    if (!b.ok) {
      this.reject('burst');
      this.countRefusal(entry, 429, now);
      if (this.breaker.refused(keyId, limits.burstPerSecond, now)) {
        this.logger.warn({ keyId }, 'abnormal usage: key paused');
        void this.audit
          .record({ action: AUDIT.anomaly, subjectType: 'api_key', subjectId: keyId, requestId: String(req.id), ip: req.clientIp, details: { burstPerSecond: limits.burstPerSecond } })
          .catch((err) => this.logger.error({ err }, 'could not audit an anomaly'));
      }
      throw new ProblemException(429, 'rate-limited', `This API key allows ${limits.burstPerSecond} requests per second`, {
        headers: { 'Retry-After': String(b.retryAfter), 'RateLimit-Policy': entry.policy, RateLimit: `"burst";r=0;t=${b.retryAfter}` },
      });
    }
    const burstRemaining = b.remaining;
    if (!limits.quota) {
      if (entry.burstRemaining !== burstRemaining) {
        entry.burstRemaining = burstRemaining;
        entry.burstRateLimit = `"burst";r=${burstRemaining};t=1`;
      }
      return this.admit(entry, req, reply, entry.burstRateLimit);
    }
    const q = this.quota.take(keyId, limits.quota, now, entry);
    if (q instanceof Promise) {
      return q.then(
        (d) => this.afterQuota(entry, req, reply, d, burstRemaining),
        (err) => {
          this.logger.error({ err, keyId }, 'quota lease failed');
          throw new ProblemException(503, 'service-unavailable', 'Quota accounting is unavailable; retry shortly', { headers: { 'Retry-After': '1' } });
        },
      );
    }
    return this.afterQuota(entry, req, reply, q, burstRemaining);
  }

  private afterQuota(entry: CachedKey, req: FastifyRequest, reply: FastifyReply, d: QuotaDecision, burstRemaining: number): boolean {
    const name = QUOTA_POLICY[entry.limits.quota!.period].name;
    if (!d.ok) {
      this.reject('quota');
      this.countRefusal(entry, 429, Date.now());
      throw new ProblemException(429, 'quota-exceeded', `This API key has used its ${entry.limits.quota!.limit} requests for this ${entry.limits.quota!.period}`, {
        headers: { 'Retry-After': String(d.retryAfter), 'RateLimit-Policy': entry.policy, RateLimit: `"${name}";r=0;t=${d.resetSeconds}` },
      });
    }
    (req as WithParsed)[QUOTA_TAKEN] = d.periodId;
    this.quota.prefetch(entry.keyId, entry.lease);
    return this.admit(entry, req, reply, `"burst";r=${burstRemaining};t=1, "${name}";r=${d.remaining};t=${d.resetSeconds}`);
  }

  private admit(entry: CachedKey, req: FastifyRequest, reply: FastifyReply, rateLimit: string): true {
    req.auth = entry.auth;
    (req as WithParsed)[ENTRY] = entry;
    // Lower case, as Fastify stores (and sends) them: a mixed-case name is lowered into a new string
    // on every call, which then has to be looked up as a property name.
    reply.header('ratelimit-policy', entry.policy);
    reply.header('ratelimit', rateLimit);
    if (!this.usageHooked) {
      const keyId = entry.keyId;
      reply.raw.once('finish', () => this.finished(req, keyId, reply.raw.statusCode, reply.elapsedTime));
    }
    return true;
  }
}
