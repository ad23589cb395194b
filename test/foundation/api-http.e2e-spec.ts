import '../support/test-env';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { CoreConfig, heartbeatKey, loadConfig, Public } from '@hub/core';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { RunningApi, startApi, startWorker } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/processes';
import type { INestApplicationContext } from '@nestjs/common';

@Controller('__test')
class ProbeController {
  @Public()
  @Post('echo')
  echo(@Body() body: unknown) {
    return { received: body };
  }

  @Public()
  @Get('boom')
  boom(): never {
    // Looks like what a real bug would surface: an SQL error with a file path in its stack.
    const err = new Error('relation "secret_table" does not exist at /srv/app/dist/libs/x.js:12');
    throw err;
  }
}
@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('api over HTTP (Fastify, real Postgres and Redis)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: INestApplicationContext;

  before(async () => {
    db = await createTestDatabase('foundation');
    process.env.BODY_LIMIT_BYTES = String(64 * 1024);
    api = await startApi({ extraModules: [ProbeModule] });
    worker = await startWorker();
  });
  after(async () => {
    await api?.close();
    await worker?.close();
    await db?.drop();
  });

  const problem = async (res: Response, status: number, slug: string) => {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body: any = await res.json();
    assert.equal(body.status, status);
    assert.ok(body.type.endsWith('/' + slug), `type ${body.type} should end with ${slug}`);
    assert.equal(typeof body.title, 'string');
    assert.equal(typeof body.detail, 'string');
    assert.equal(body.requestId, res.headers.get('x-request-id'));
    return body;
  };

  it('is ready once Postgres, Redis and the queues are up; /health/worker reports the worker heartbeat', async () => {
    const body = await waitUntil(async () => {
      const res = await fetch(`${api.url}/health/ready`);
      return res.status === 200 ? ((await res.json()) as any) : undefined;
    }, 15_000);
    assert.equal(body.status, 'ok');
    for (const check of ['database', 'redis', 'queues']) assert.equal(body.info[check].status, 'up', check);
    const worker = await waitUntil(async () => {
      const res = await fetch(`${api.url}/health/worker`);
      return res.status === 200 ? ((await res.json()) as any) : undefined;
    }, 15_000);
    assert.equal(worker.info.worker.status, 'up');
    const live = await fetch(`${api.url}/health/live`);
    assert.equal(live.status, 200);
  });

  it('stays ready while no worker heartbeat is seen (jobs queue), and says so on /health/worker', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      await worker.close();
      await redis.del(heartbeatKey(loadConfig(CoreConfig).REDIS_PREFIX));
      const ready = await fetch(`${api.url}/health/ready`);
      assert.equal(ready.status, 200, await ready.clone().text());
      const w = await fetch(`${api.url}/health/worker`);
      assert.equal(w.status, 503);
      assert.match(JSON.stringify(await w.json()), /no worker heartbeat/);
    } finally {
      redis.disconnect();
      worker = await startWorker();
    }
  });

  it('answers an unknown route with a 404 problem', async () => {
    const body = await problem(await fetch(`${api.url}/v1/nope`), 404, 'not-found');
    assert.match(body.detail, /GET \/v1\/nope/);
  });

  it('answers malformed JSON with a 400 problem saying what is wrong', async () => {
    const res = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": 1,,}' });
    const body = await problem(res, 400, 'malformed-json');
    assert.match(body.detail, /JSON/);
    assert.match(body.detail, /position|line|column|Unexpected|Expected/i);
  });

  it('refuses NUL characters in the body (naming the field) and in the URL with 400, not a database 500', async () => {
    const res = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"customer":{"name":"a\\u0000b"}}' });
    const body = await problem(res, 400, 'validation-failed');
    assert.deepEqual(body.errors.map((e: any) => e.field), ['customer.name']);
    await problem(await fetch(`${api.url}/v1/inventory/A%00B`), 400, 'bad-request');
    await problem(await fetch(`${api.url}/health/live?x=%00`), 400, 'bad-request');
    // A literal backslash followed by u0000 is ordinary text and passes.
    const ok = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"note":"C:\\\\u0000"}' });
    assert.equal(ok.status, 201);
  });

  it('refuses lone UTF-16 surrogates (naming the field) with 400, keeping well-formed pairs', async () => {
    const echo = (body: string) => fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const body = await problem(await echo('{"reason":"x\\ud800y"}'), 400, 'validation-failed');
    assert.deepEqual(body.errors.map((e: any) => e.field), ['reason']);
    const low = await problem(await echo('{"meta":{"\\uDC00":"v"}}'), 400, 'validation-failed');
    assert.deepEqual(low.errors.map((e: any) => e.field), ['meta.\udc00']);
    // A surrogate pair is an ordinary character (here U+1F600).
    const ok = await echo('{"note":"\\ud83d\\ude00"}');
    assert.equal(ok.status, 201);
    assert.deepEqual(await ok.json(), { received: { note: '\u{1F600}' } });
  });

  it('refuses JSON nested deeper than 32 levels with 400, not a stack overflow 500', async () => {
    const nest = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    await problem(await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nest(5000) }), 400, 'malformed-json');
    await problem(await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${nest(32)}]` }), 400, 'malformed-json');
    const ok = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nest(32) });
    assert.equal(ok.status, 201);
    // Many brackets side by side are not depth.
    const wide = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: Array.from({ length: 500 }, () => ({ q: [1] })) }) });
    assert.equal(wide.status, 201);
  });

  it('answers a malformed percent-encoding and an over-long path parameter with problem+json and a request id', async () => {
    const bad = await problem(await fetch(`${api.url}/v1/keys/%ZZ`), 400, 'bad-request');
    assert.match(bad.detail, /URL/);
    const long = await fetch(`${api.url}/v1/keys/${'k'.repeat(200)}`);
    await problem(long, 414, 'uri-too-long');
    assert.equal(long.headers.get('x-content-type-options'), 'nosniff');
  });

  it('answers a body over the limit with 413', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(70 * 1024) });
    await problem(await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }), 413, 'payload-too-large');
  });

  it('answers a wrong content type with 415', async () => {
    await problem(await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }), 415, 'unsupported-media-type');
    // JSON sent as text/plain was parsed as a string, and validation then said every field was missing.
    await problem(await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"a":1}' }), 415, 'unsupported-media-type');
    const gz = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"a":1}') });
    const body = await problem(gz, 415, 'unsupported-media-type');
    assert.match(body.detail, /Content-Encoding "gzip"/);
    const identity = await fetch(`${api.url}/__test/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' }, body: '{"a":1}' });
    assert.equal(identity.status, 201);
  });

  it("answers what Node's HTTP parser refuses as problem+json with a request id, then closes the connection", async () => {
    const { port } = new URL(api.url);
    const cases: [string, number, string][] = [
      ['GET /health/live?x=\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'bad-request'],
      ['GET /health/live HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n', 400, 'bad-request'],
      ['POST /__test/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}', 400, 'bad-request'],
      [`GET /health/live HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request-header-fields-too-large'],
    ];
    for (const [raw, status, slug] of cases) {
      const answer = await new Promise<string>((resolve, reject) => {
        const sock = connect(Number(port), '127.0.0.1');
        let out = '';
        sock.on('data', (d) => (out += d.toString('latin1')));
        sock.on('close', () => resolve(out));
        sock.on('error', reject);
        sock.end(Buffer.from(raw, 'latin1'));
      });
      const [head, text] = answer.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), raw.slice(0, 40));
      assert.match(head, /content-type: application\/problem\+json/i);
      const id = /x-request-id: (req_[0-9a-f]{32})/i.exec(head)?.[1];
      assert.ok(id, head);
      const problemBody = JSON.parse(text);
      assert.ok(problemBody.type.endsWith('/' + slug), problemBody.type);
      assert.equal(problemBody.status, status);
      assert.equal(problemBody.requestId, id);
    }
  });

  it('puts a request id on every response and keeps a well-formed incoming one', async () => {
    const minted = await fetch(`${api.url}/health/live`);
    assert.match(minted.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
    const kept = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'trace-abc-123' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-abc-123');
    const bad = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'has spaces <script>' } });
    assert.notEqual(bad.headers.get('x-request-id'), 'has spaces <script>');
    assert.equal(minted.headers.get('x-powered-by'), null);
    assert.equal(minted.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(minted.headers.get('cache-control'), 'no-store');
  });

  it('sends nosniff and no-store on errors too, and keeps a cache-control a route sets itself', async () => {
    for (const res of [await fetch(`${api.url}/no/such/route`), await fetch(`${api.url}/__test/boom`), await fetch(`${api.url}/v1/products`)]) {
      assert.ok(res.status >= 400, String(res.status));
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
    }
    const dashboard = await fetch(`${api.url}/dashboard/app.js`);
    assert.equal(dashboard.status, 200);
    assert.equal(dashboard.headers.get('cache-control'), 'no-cache');
    assert.equal(dashboard.headers.get('x-content-type-options'), 'nosniff');
  });

  it('never leaks a stack trace, SQL or path when a handler throws', async () => {
    const res = await fetch(`${api.url}/__test/boom`);
    const text = await res.clone().text();
    await problem(res, 500, 'internal-error');
    assert.doesNotMatch(text, /secret_table|\/srv\/|\.js:\d|at [A-Z]\w+\./);
  });

  it('serves OpenAPI docs and Prometheus metrics', async () => {
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`)).json();
    assert.equal(doc.info.title, 'NovaSkin commerce hub');
    const ui = await fetch(`${api.url}/docs`);
    assert.equal(ui.status, 200);
    // Labelled by template, read once per request (http-pipeline's routeUrl), never by raw URL.
    assert.equal((await fetch(`${api.url}/v1/products/NS-LABEL-PROBE`)).status, 401);
    assert.equal((await fetch(`${api.url}/no-such-route/NS-LABEL-PROBE`)).status, 404);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    assert.match(metrics, /hub_http_request_duration_seconds_bucket\{[^}]*route="\/health\/live"/);
    assert.match(metrics, /hub_http_request_duration_seconds_count\{method="GET",route="\/v1\/products\/:sku",status="401"\} [1-9]/);
    assert.match(metrics, /hub_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/);
    assert.doesNotMatch(metrics, /NS-LABEL-PROBE/);
    assert.match(metrics, /hub_process_cpu_seconds_total/);
  });
});
