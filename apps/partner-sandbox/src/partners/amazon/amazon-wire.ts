import type { FastifyReply } from 'fastify';

/** SP-API's error envelope: `{"errors":[{code, message, details}]}`. */
export function spApiError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.status(status).send({ errors: [{ code, message, details: '' }] });
}

export const spApiUnauthorized = (reply: FastifyReply) => spApiError(reply, 403, 'Unauthorized', 'Access to requested resource is denied.');

export const spApiQuotaExceeded = (reply: FastifyReply) => spApiError(reply, 429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.');

/** Login with Amazon's OAuth2 error envelope. */
export function lwaError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.status(status).send({ error, error_description: description });
}

export const lwaInvalidClient = (reply: FastifyReply) => lwaError(reply, 401, 'invalid_client', 'Client authentication failed');
