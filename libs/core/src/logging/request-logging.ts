import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { CoreConfig } from '../config/core.config';
import { pinoOptions } from './logger.module';
import { scrubText } from './redact';

/**
 * One structured line per request, written from Fastify's onResponse hook. (nestjs-pino's
 * middleware never fires under Nest 12 + Fastify, so access logs are ours.) Headers are not
 * logged at all; the URL is scrubbed of anything shaped like an API key.
 */
export function installRequestLogging(app: NestFastifyApplication, cfg: CoreConfig): void {
  if (cfg.LOG_REQUESTS !== 'true') return;
  const log = pino(pinoOptions(cfg.LOG_LEVEL, process.env.HUB_PROCESS_NAME ?? 'api'));
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onResponse', (req, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    log[level](
      {
        requestId: req.id,
        method: req.method,
        url: scrubText(req.url),
        route: req.routeUrl,
        status,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ip: req.clientIp,
        keyId: req.auth?.keyId,
        userAgent: req.headers['user-agent'],
      },
      'request completed',
    );
    done();
  });
}
