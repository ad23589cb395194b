import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CoreConfig } from '../config/core.config';
import { REDACTED, scrubSecrets, scrubText } from './redact';

/** pino options shared by Nest apps and plain processes (sandbox, CLI). */
export function pinoOptions(level: string, name: string) {
  return {
    name,
    level,
    // Known header paths are cheap to censor with fast-redact; the formatter catches the rest.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'req.headers["x-razorpay-signature"]',
        'req.headers["x-amz-access-token"]',
        'res.headers["set-cookie"]',
      ],
      censor: REDACTED,
    },
    formatters: {
      log: (obj: Record<string, unknown>) => scrubSecrets(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubText(a) : a)));
      },
    },
  };
}

@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [CoreConfig],
      useFactory: (cfg: CoreConfig) => ({
        // No pino-http middleware: access logs come from installRequestLogging (a Fastify hook), and
        // the middleware never matched a route under Nest 12 + Fastify anyway. Registered, it still
        // made @fastify/middie sanitize and normalise every request's path (about 1.5 us a request
        // in a CPU profile of the bench api); with no route, no Nest middleware exists at all.
        forRoutes: [],
        pinoHttp: {
          ...pinoOptions(cfg.LOG_LEVEL, process.env.HUB_PROCESS_NAME ?? 'hub'),
          autoLogging: false,
          genReqId: (req: IncomingMessage) => (req as unknown as { id: string }).id,
          customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
            err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          serializers: {
            req: (req: { id: string; method: string; url: string; headers: Record<string, string> }) => ({
              id: req.id,
              method: req.method,
              url: scrubText(req.url),
              userAgent: req.headers?.['user-agent'],
            }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
        },
      }),
    }),
  ],
  exports: [LoggerModule],
})
export class HubLoggerModule {}
