import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  completeOpenApiDocument,
  configureHttpPipeline,
  CoreConfig,
  createFastifyAdapter,
  installHttpMetrics,
  installRequestLogging,
  loadConfig,
} from '@hub/core';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';

/** Builds (but does not start) the HTTP API; shared by main.ts, e2e tests and benchmarks. */
export async function createApiApp(opts: { extraModules?: (Type | DynamicModule)[] } = {}): Promise<NestFastifyApplication> {
  process.env.HUB_PROCESS_NAME ??= 'api';
  const cfg = loadConfig(CoreConfig);
  // Tests and benchmarks may mount extra modules beside the real ones.
  const root: Type | DynamicModule = opts.extraModules?.length
    ? { module: class ApiWithExtras {}, imports: [ApiModule, ...opts.extraModules] }
    : ApiModule;
  const app = await NestFactory.create<NestFastifyApplication>(root, createFastifyAdapter(cfg), {
    // Our JSON parser (registerJsonParser) keeps the raw body for signature checks.
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  configureHttpPipeline(app, cfg);
  installHttpMetrics(app);
  installRequestLogging(app, cfg);

  const doc = new DocumentBuilder()
    .setTitle('NovaSkin commerce hub')
    .setDescription(
      'One API for the catalog, stock, orders and partner credentials of the NovaSkin brand across the storefront, ' +
        'Amazon and Nykaa. Authenticate with `Authorization: Bearer nsk_...` or `X-API-Key: nsk_...`. ' +
        'Errors are RFC 9457 `application/problem+json`; every response carries `X-Request-Id`.',
    )
    .setVersion('1')
    // addBearerAuth defaults bearerFormat to JWT; the hub's keys are not JWTs.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'nsk_<env>_<keyId>_<secret><checksum>', description: API_KEY_FORMAT }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: `The same key as in \`Authorization: Bearer\`. ${API_KEY_FORMAT}` }, 'apiKey')
    .build();
  // Scopes, public markers and problem+json answers come from the route metadata (completeOpenApiDocument).
  SwaggerModule.setup('docs', app, () => completeOpenApiDocument(app, SwaggerModule.createDocument(app, doc)), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
  return app;
}

const API_KEY_FORMAT =
  'A hub API key, `nsk_<env>_<keyId>_<secret><checksum>` (`nsk_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}`): `env` is `live` or `test`, ' +
  '`keyId` the public lookup id, and the last 6 characters a base62 CRC32 of the rest. Created with `POST /v1/keys` or `npm run hub -- keys:create`; ' +
  'each route names the scope it needs (`x-required-scopes`).';
