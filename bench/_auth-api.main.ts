// Not a benchmark itself (the leading _ keeps tools/run-bench.js from running it): the api child of bench/auth.ts.
// The api process measured by `npm run bench:auth`: the real api plus two probe routes that do
// the same work, one public (the "bare" baseline) and one behind an API key.
import { Controller, Get, Header, Module } from '@nestjs/common';
import { Public, RequireScope } from '@hub/core';
import { createApiApp } from '../apps/api/src/create-api-app';

@Controller('__bench')
class BenchController {
  @Public()
  @Get('bare')
  bare() {
    return { ok: true, items: [1, 2, 3] };
  }

  /** The bare route answering with the two RateLimit headers an admitted key request carries (same sizes). */
  @Public()
  @Get('bare-ratelimit')
  @Header('RateLimit-Policy', '"burst";q=1000000;w=1')
  @Header('RateLimit', '"burst";r=999999;t=1')
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

createApiApp({ extraModules: [BenchModule] })
  .then(async (app) => {
    await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
    process.stdout.write('bench api listening\n');
  })
  .catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(1);
  });
