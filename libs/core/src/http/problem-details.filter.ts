import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defaultSlugForStatus, PROBLEM_TYPE_BASE, ProblemException, titleForSlug } from './problem';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Fastify's own errors (body parsing, limits) carry a `code`; map the ones clients cause. */
function fromFastifyError(err: { code?: string; statusCode?: number; message?: string }): ProblemException | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ProblemException(400, 'malformed-json', `The body is not valid JSON: ${err.message ?? ''}`.trim());
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemException(400, 'malformed-json', 'The body is empty but Content-Type is application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemException(413, 'payload-too-large', 'The request body exceeds the size limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProblemException(415, 'unsupported-media-type', err.message ?? 'Unsupported Content-Type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ProblemException(400, 'bad-request', 'Content-Length does not match the body');
    default:
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return new ProblemException(err.statusCode, defaultSlugForStatus(err.statusCode), 'The request could not be processed');
      }
      return null;
  }
}

/** The body @nestjs/terminus throws when a check is down: `{status: 'error', info, error, details}`. */
function healthReport(response: unknown): { error: Record<string, unknown>; details: Record<string, unknown> } | null {
  const r = response as { status?: unknown; error?: unknown; details?: unknown } | null;
  if (!r || typeof r !== 'object' || r.status !== 'error' || !r.error || typeof r.error !== 'object' || !r.details || typeof r.details !== 'object') return null;
  return { error: r.error as Record<string, unknown>, details: r.details as Record<string, unknown> };
}

export function toProblem(
  exception: unknown,
  requestId: string,
  req?: { method: string; url: string },
): { body: ProblemBody; headers: Record<string, string> } {
  let problem: ProblemException | null = null;
  if (exception instanceof ProblemException) {
    problem = exception;
  } else if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const slug = defaultSlugForStatus(status);
    const response = exception.getResponse();
    const detail =
      typeof response === 'string'
        ? response
        : typeof (response as { message?: unknown }).message === 'string'
          ? ((response as { message: string }).message)
          : titleForSlug(slug);
    const health = healthReport(response);
    if (health) {
      // A health check that is down (@nestjs/terminus): say which check, with what it reported
      // (no secrets: the indicators report states and ages only), so an operator need not guess.
      const down = Object.keys(health.error);
      problem = new ProblemException(status, slug, `Not healthy: ${down.join(', ')} down`, { extensions: { checks: health.details } });
    } else if (status === 404 && req) {
      problem = new ProblemException(404, slug, `No route matches ${req.method} ${req.url.split('?')[0]}`);
    } else if (status === 400 && /JSON/.test(detail) && !(response as { errors?: unknown }).errors) {
      // Fastify's JSON parser throws a SyntaxError, which Nest turns into a BadRequestException.
      problem = new ProblemException(400, 'malformed-json', `The body is not valid JSON: ${detail}`);
    } else {
      problem = new ProblemException(status, slug, detail);
    }
  } else if (exception && typeof exception === 'object' && 'code' in exception) {
    problem = fromFastifyError(exception as { code?: string; statusCode?: number; message?: string });
  }
  if (!problem) {
    problem = new ProblemException(500, 'internal-error', 'Something went wrong on our side. Quote the requestId when you contact support.');
  }
  const status = problem.getStatus();
  return {
    body: {
      type: PROBLEM_TYPE_BASE + problem.slug,
      title: problem.title,
      status,
      detail: problem.detail,
      requestId,
      ...extensionsOf(problem),
    },
    headers: problem.problem.headers ?? {},
  };
}

/** The members the hub always sets (RFC 9457's and CONTRACT's requestId); an extension never replaces one. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'requestId']);

/**
 * A problem's extension members without any named like a standard one: an order's
 * `status: "paid"` once replaced the HTTP status and the answer became a 500.
 */
function extensionsOf(problem: ProblemException): Record<string, unknown> {
  const ext = problem.problem.extensions;
  if (!ext) return {};
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(ext)) if (!STANDARD_MEMBERS.has(k)) out[k] = ext[k];
  return out;
}

const heads = new WeakMap<ProblemException, string | null>();

/**
 * toProblem's body serialised up to the requestId (`{"type":...,"requestId":`), once per exception
 * instance: shared instances (the guard's invalid-key answer) are sent on every request of a storm
 * of made-up keys. null when the problem has extensions (those are serialised per request).
 */
export function problemJsonHead(p: ProblemException): string | null {
  let head = heads.get(p);
  if (head === undefined) {
    head = p.problem.extensions ? null : JSON.stringify(toProblem(p, '').body).slice(0, -3);
    heads.set(p, head);
  }
  return head;
}

export function sendProblem(reply: FastifyReply, requestId: string, exception: unknown, req?: FastifyRequest): void {
  const head = exception instanceof ProblemException ? problemJsonHead(exception) : null;
  if (head !== null) {
    // The same bytes toProblem + JSON.stringify would give (a test compares them), without building them.
    const p = exception as ProblemException;
    const headers = p.problem.headers;
    if (headers) for (const k in headers) reply.header(k, headers[k]);
    reply.status(p.getStatus()).header('content-type', 'application/problem+json; charset=utf-8').send(head + JSON.stringify(requestId) + '}');
    return;
  }
  const { body, headers } = toProblem(exception, requestId, req);
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  reply.status(body.status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

/** Renders every error as RFC 9457 problem+json; logs (never returns) what went wrong inside. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const { body } = toProblem(exception, String(req.id), req);
    if (body.status >= 500) {
      // A 5xx code chose to answer (ours, a partner or Redis unavailable; terminus's 503 for a failing
      // health check) is an answer, not a bug: one warn line naming it; the request log line still
      // carries the status. Anything else gets its stack.
      if (exception instanceof HttpException) this.logger.warn({ type: body.type, detail: body.detail, requestId: req.id, route: req.routeUrl }, `answered ${body.status}`);
      else this.logger.error({ err: exception, requestId: req.id, route: req.routeUrl }, 'unhandled error');
    }
    if (reply.sent) return;
    sendProblem(reply, String(req.id), exception, req);
  }
}
