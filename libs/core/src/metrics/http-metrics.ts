import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { MetricsService } from './metrics.service';

/** Records every response in the duration histogram, labelled by route template (not raw URL). */
export function installHttpMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.httpDuration.observe(req.method, req.routeUrl ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
