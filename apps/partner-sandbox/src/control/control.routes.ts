import type { FastifyInstance } from 'fastify';
import { SandboxContext, SandboxPartner } from '../sandbox-partner';

const problem = (status: number, detail: string) => ({ type: 'about:blank', title: 'Bad request', status, detail });

/** The sandbox's own control plane: health, state, reset and fault injection. */
export function registerControlRoutes(app: FastifyInstance, ctx: SandboxContext, partners: SandboxPartner[]): void {
  const names = new Set(partners.map((p) => p.name));

  app.get('/_sandbox/health', async () => ({ status: 'ok', partners: [...names] }));

  app.get('/_sandbox/state', async () => {
    const state: Record<string, unknown> = {};
    for (const p of partners) state[p.name] = p.state();
    state.faults = ctx.faults.list();
    return state;
  });

  app.post('/_sandbox/reset', async () => {
    for (const p of partners) p.reset();
    ctx.faults.clear();
    return { reset: true };
  });

  app.get('/_sandbox/faults', async () => ctx.faults.list());

  app.post('/_sandbox/faults', async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return reply.status(400).send(problem(400, 'body must be a JSON object'));
    const { partner, kind } = body;
    if (typeof partner !== 'string' || (partner !== '*' && !names.has(partner))) {
      return reply.status(400).send(problem(400, `partner must be one of ${[...names, '*'].join(', ')}`));
    }
    if (typeof kind !== 'string' || !kind) return reply.status(400).send(problem(400, 'kind is required'));
    for (const k of ['ms', 'count', 'jitterMs', 'retryAfterSeconds', 'status'] as const) {
      if (body[k] !== undefined && (typeof body[k] !== 'number' || (body[k] as number) < 0)) {
        return reply.status(400).send(problem(400, `${k} must be a non-negative number`));
      }
    }
    const fault = ctx.faults.add(body as never);
    return reply.status(201).send(fault);
  });

  app.delete('/_sandbox/faults', async (req) => {
    const partner = (req.query as { partner?: string }).partner;
    ctx.faults.clear(partner);
    return { cleared: partner ?? 'all' };
  });
}
