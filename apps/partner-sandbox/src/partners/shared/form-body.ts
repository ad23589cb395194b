import type { FastifyInstance } from 'fastify';

/**
 * Parses application/x-www-form-urlencoded bodies into a plain object (last value wins for a
 * repeated key). Registered inside a partner's plugin scope only: Fastify does not parse forms
 * by default, and LWA / Cloudinary clients send them.
 */
export function registerFormBodyParser(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
    done(null, out);
  });
}
