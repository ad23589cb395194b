// A real api process with one extra slow route, for the graceful-shutdown test.
import '../test-env';
import { Controller, Get, Module } from '@nestjs/common';
import { Public } from '@hub/core';
import { createApiApp } from '../../../apps/api/src/create-api-app';

@Controller('__test')
class SlowController {
  @Public()
  @Get('slow')
  async slow() {
    process.stdout.write('slow request started\n');
    await new Promise((r) => setTimeout(r, 1500));
    return { finished: true };
  }
}
@Module({ controllers: [SlowController] })
class SlowModule {}

createApiApp({ extraModules: [SlowModule] })
  .then(async (app) => {
    await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
    process.stdout.write('slow api listening\n');
  })
  .catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(1);
  });
