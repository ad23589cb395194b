import type { FastifyReply } from 'fastify';

/**
 * Errors of the sandbox's own control endpoints (`/_sandbox/...`): problem+json like the hub,
 * since these are ours and not a partner's wire format.
 */
export function controlProblem(reply: FastifyReply, status: number, detail: string, field?: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'application/problem+json')
    .send({ type: 'about:blank', title: status === 404 ? 'Not found' : status === 409 ? 'Conflict' : 'Bad request', status, detail, ...(field ? { field } : {}) });
}

/** The request body as an object, or undefined when it is not one (null, array, string). */
export function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}
