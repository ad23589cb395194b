// Not a benchmark itself (the leading _ keeps tools/run-bench.js from running it): the api child of bench/auth.ts.
// The api process measured by `npm run bench:auth`: the real api plus two probe routes that do
// the same work, one public (the "bare" baseline) and one behind an API key.
import { Controller, Get, Module } from '@nestjs/common';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { Public, RequireScope } from '@hub/core';
import { createApiApp } from '../apps/api/src/create-api-app';

@Controller('__bench')
class BenchController {
  @Public()
  @Get('bare')
  bare() {
    return { ok: true, items: [1, 2, 3] };
  }

  /**
   * The bare route answering with the two RateLimit headers an admitted key request carries (same
   * sizes), set the way the guard sets them (reply.header in an onRequest hook, see below), not
   * with Nest's @Header, which costs a per-request step of its own.
   */
  @Public()
  @Get('bare-ratelimit')
  bareWithRateLimitHeaders() {
    return { ok: true, items: [1, 2, 3] };
  }

  @RequireScope('catalog:read')
  @Get('authed')
  authed() {
    return { ok: true, items: [1, 2, 3] };
  }
}
@Module({ controllers: [BenchController] })
class BenchModule {}

/**
 * Values of the same sizes as the benchmark key's. Constant, as the guard's are for that key: its
 * burst bucket never drains at this rate, so admit() reuses the `RateLimit` string it built last time
 * (building one per request here, with a Date.now(), cost this route about 0.2 us the guard does not pay).
 */
const POLICY = '"burst";q=1000000;w=1';
const RATE_LIMIT = '"burst";r=499999;t=1';
const rateLimitHeaders: onRequestHookHandler = (_req, reply, done) => {
  reply.header('ratelimit-policy', POLICY);
  reply.header('ratelimit', RATE_LIMIT);
  done();
};

createApiApp({ extraModules: [BenchModule] })
  .then(async (app) => {
    // A hook on that one route only (added as Nest registers it), so the other routes pay nothing for it.
    (app.getHttpAdapter().getInstance() as unknown as FastifyInstance).addHook('onRoute', (route) => {
      if (route.url === '/__bench/bare-ratelimit') route.onRequest = [...([] as onRequestHookHandler[]).concat(route.onRequest ?? []), rateLimitHeaders];
    });
    await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
    process.stdout.write('bench api listening\n');
  })
  .catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(1);
  });
