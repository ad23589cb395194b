import './test-env';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';

export interface RunningApi {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** The real api (Fastify) in this process on a free port, configured by process.env. */
export async function startApi(opts: Parameters<typeof createApiApp>[0] = {}): Promise<RunningApi> {
  const app = await createApiApp(opts);
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    // Its Postgres pool, Redis clients and queues are open: a stack that failed to start closes what it holds.
    await app.close().catch(() => undefined);
    throw err;
  }
  const addr = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}

export async function startWorker(): Promise<INestApplicationContext> {
  return createWorkerApp();
}
