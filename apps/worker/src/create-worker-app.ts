import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/** The worker is an application context: BullMQ processors and schedules; its only listener is GET /metrics (WorkerMetricsServer). */
export async function createWorkerApp(): Promise<INestApplicationContext> {
  process.env.HUB_PROCESS_NAME ??= 'worker';
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  // WorkerHost closes its BullMQ worker (letting active jobs finish) only through shutdown hooks.
  app.enableShutdownHooks();
  await app.init();
  return app;
}
