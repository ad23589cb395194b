import '../support/test-env';
import { SCOPES } from '@hub/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const PROBLEM_REF = '#/components/schemas/Problem';

/**
 * /docs/openapi.json, read from the real api app (created and initialised, not listening): every
 * operation says who may call it and which problem+json answers it can give (README: the OpenAPI
 * UI "lists every route with its scope, request and response shapes and error types").
 */
describe('OpenAPI document (/docs/openapi.json)', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let doc: any;
  const ops: { method: string; path: string; op: any }[] = [];
  const op = (method: string, path: string) => {
    const o = doc.paths[path]?.[method];
    assert.ok(o, `${method.toUpperCase()} ${path} is documented`);
    return o;
  };
  /** The slugs a response documents, from `x-problem-types`; asserts the response is problem+json. */
  const problemTypes = (o: any, status: string, where: string): string[] => {
    const r = o.responses?.[status];
    assert.ok(r, `${where} documents ${status}`);
    assert.equal(r.content?.['application/problem+json']?.schema?.$ref, PROBLEM_REF, `${where} ${status} is application/problem+json with the Problem schema`);
    assert.ok(Array.isArray(r['x-problem-types']) && r['x-problem-types'].length, `${where} ${status} lists its problem types`);
    for (const slug of r['x-problem-types']) assert.ok(r.description.includes(`\`${slug}\``), `${where} ${status} description names ${slug}`);
    return r['x-problem-types'];
  };

  before(async () => {
    db = await createTestDatabase('openapi');
    app = await createApiApp();
    await app.init();
    const res = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/docs/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS) if (item[method]) ops.push({ method, path, op: item[method] });
    }
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  it('has a shared Problem schema and describes nsk_ keys, not JWTs', () => {
    const p = doc.components.schemas.Problem;
    assert.ok(p, 'components.schemas.Problem');
    assert.deepEqual([...p.required].sort(), ['detail', 'requestId', 'status', 'title', 'type']);
    assert.equal(p.properties.status.type, 'integer');
    assert.ok(p.properties.errors, 'validation errors list each bad field');
    const bearer = doc.components.securitySchemes.bearer;
    assert.equal(bearer.scheme, 'bearer');
    assert.notEqual(bearer.bearerFormat, 'JWT');
    assert.match(bearer.bearerFormat, /nsk_/);
    assert.equal(doc.components.securitySchemes.apiKey.name, 'X-API-Key');
  });

  it('gives every operation a scope or a public marker, with the matching security', () => {
    assert.ok(ops.length >= 35, `found ${ops.length} operations`);
    for (const { method, path, op: o } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      const scopes = o['x-required-scopes'];
      if (o['x-public'] === true) {
        assert.equal(scopes, undefined, `${where}: public or scoped, not both`);
        assert.deepEqual(o.security, [], `${where}: public routes need no key`);
        assert.match(o.description ?? '', /No API key/, `${where}: says it is public`);
      } else {
        assert.ok(Array.isArray(scopes) && scopes.length, `${where}: x-required-scopes or x-public`);
        for (const s of scopes) assert.ok((SCOPES as readonly string[]).includes(s), `${where}: ${s} is a scope`);
        const schemes = (o.security ?? []).flatMap((s: object) => Object.keys(s));
        assert.ok(schemes.includes('bearer') && schemes.includes('apiKey'), `${where}: security bearer and apiKey`);
        for (const s of scopes) assert.ok(o.description.includes(`\`${s}\``), `${where}: description names ${s}`);
      }
    }
    assert.deepEqual(op('get', '/v1/inventory/{sku}')['x-required-scopes'], ['inventory:read']);
    assert.deepEqual(op('post', '/v1/orders')['x-required-scopes'], ['orders:write']);
    assert.deepEqual(op('put', '/v1/vault/credentials/{partner}')['x-required-scopes'], ['vault:write']);
    assert.deepEqual(op('get', '/v1/keys/{keyId}/usage')['x-required-scopes'], ['keys:read', 'analytics:read']);
    assert.equal(op('post', '/v1/webhooks/razorpay')['x-public'], true);
    assert.equal(op('get', '/health/live')['x-public'], true);
  });

  it('documents the API key failures on every key route, 400 for input and 404 for path parameters', () => {
    for (const { method, path, op: o } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      if (o['x-public']) {
        for (const s of ['401', '403', '429']) assert.equal(o.responses[s], undefined, `${where}: public, no ${s}`);
      } else {
        assert.ok(problemTypes(o, '401', where).includes('missing-api-key'));
        assert.ok(problemTypes(o, '401', where).includes('invalid-api-key'));
        assert.ok(problemTypes(o, '403', where).includes('insufficient-scope'));
        const limited = problemTypes(o, '429', where);
        for (const s of ['rate-limited', 'quota-exceeded']) assert.ok(limited.includes(s), `${where} 429 ${s}`);
        assert.ok(o.responses['429'].headers?.['Retry-After'], `${where}: 429 has Retry-After`);
        // The guard's own 400: the key sent twice, or two different keys.
        assert.ok(problemTypes(o, '400', where).includes('bad-request'));
      }
      const params: any[] = o.parameters ?? [];
      if (o.requestBody || params.some((p) => p.in === 'query')) assert.ok(problemTypes(o, '400', where).includes('validation-failed'), `${where}: 400 validation-failed`);
      if (params.some((p) => p.in === 'path') && !(method === 'put' && path === '/v1/vault/credentials/{partner}')) {
        assert.ok(problemTypes(o, '404', where).includes('not-found'), `${where}: 404 not-found`);
      }
      if (!params.some((p) => p.in === 'path')) assert.equal(o.responses['404'], undefined, `${where}: no path parameter, no 404`);
      // Every error response the document names is problem+json.
      for (const status of Object.keys(o.responses)) if (Number(status) >= 400) problemTypes(o, status, where);
    }
    // An unknown partner is a 400 naming the field, never a 404.
    const put = op('put', '/v1/vault/credentials/{partner}');
    assert.equal(put.responses['404'], undefined);
    assert.ok(problemTypes(put, '400', 'PUT vault').includes('validation-failed'));
  });

  it('documents the errors specific to a route where the code gives them', () => {
    const has = (method: string, path: string, status: string, slugs: string[]) => {
      const got = problemTypes(op(method, path), status, `${method.toUpperCase()} ${path}`);
      for (const s of slugs) assert.ok(got.includes(s), `${method.toUpperCase()} ${path} ${status} ${s} (got ${got.join(', ')})`);
    };
    has('post', '/v1/products', '409', ['duplicate-sku']);
    has('post', '/v1/products', '403', ['channel-not-allowed']);
    has('post', '/v1/orders', '409', ['insufficient-stock', 'duplicate-order', 'idempotency-key-in-use']);
    has('post', '/v1/orders', '422', ['unknown-sku', 'mixed-currencies', 'idempotency-key-reused']);
    has('post', '/v1/orders', '503', ['payment-provider-unavailable']);
    has('post', '/v1/orders', '400', ['missing-idempotency-key']);
    has('post', '/v1/orders/{id}/cancel', '409', ['order-not-cancellable']);
    has('put', '/v1/inventory/{sku}', '422', ['below-reserved']);
    has('post', '/v1/inventory/{sku}/adjustments', '422', ['invalid-adjustment', 'idempotency-key-reused']);
    has('post', '/v1/inventory/{sku}/adjustments', '409', ['idempotency-key-in-use']);
    has('put', '/v1/vault/credentials/{partner}', '422', ['credential-verification-failed']);
    has('put', '/v1/vault/credentials/{partner}', '503', ['partner-unavailable']);
    assert.ok(op('put', '/v1/vault/credentials/{partner}').responses['503'].headers?.['Retry-After']);
    has('post', '/v1/alerts/{id}/ack', '400', ['validation-failed']);
    has('post', '/v1/webhooks/razorpay', '400', ['invalid-signature']);
    // ...and not the ones it never gives.
    for (const [method, path] of [['get', '/v1/inventory/{sku}'], ['get', '/v1/vault/credentials'], ['get', '/v1/alerts'], ['get', '/v1/analytics/keys']]) {
      const o = op(method, path);
      for (const s of ['409', '422', '503']) assert.equal(o.responses[s], undefined, `${method.toUpperCase()} ${path} gives no ${s}`);
    }
    assert.equal(op('post', '/v1/vault/credentials/{partner}/verify').responses['422'], undefined, 'verify answers 200 with ok: false');
  });

  it('types counts validated as integers as integer', () => {
    const s = doc.components.schemas;
    assert.equal(s.SetStockDto.properties.onHand.type, 'integer');
    assert.equal(s.AdjustStockDto.properties.delta.type, 'integer');
    assert.equal(s.OrderItemDto.properties.quantity.type, 'integer');
    const limit = (op('get', '/v1/inventory/{sku}/movements').parameters as any[]).find((p) => p.name === 'limit');
    assert.equal(limit.schema.type, 'integer');
    // ...and the counts in responses.
    for (const [schema, props] of [['StockView', ['onHand', 'reserved', 'available']], ['MovementView', ['onHandDelta', 'reservedDelta', 'onHandAfter', 'reservedAfter']], ['ProductView', ['version']]] as const) {
      for (const prop of props) assert.equal(s[schema].properties[prop].type, 'integer', `${schema}.${prop}`);
    }
  });

  it('documents only the webhook refusal the route gives for a body, and the health 503s', () => {
    // The JSON parser hands this route its bytes (a signed body that is not JSON is stored, answered 200).
    assert.deepEqual(op('post', '/v1/webhooks/razorpay').responses['400']['x-problem-types'], ['invalid-signature']);
    assert.ok(op('post', '/v1/products').responses['400']['x-problem-types'].includes('malformed-json'));
    assert.ok(JSON.stringify(op('get', '/health/ready').responses['503']).includes('service-unavailable'));
  });
});
