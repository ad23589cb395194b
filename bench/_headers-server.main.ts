// Not a benchmark itself (the leading _ keeps tools/run-bench.js from running it): the server child
// of bench/headers.ts. No hub code: what HTTP itself (HEADERS_SERVER=node, plain node:http) and
// Fastify on top of it (HEADERS_SERVER=fastify, no Nest) charge for the headers an authenticated
// hub response carries.
import { createServer } from 'node:http';
import Fastify from 'fastify';

const body = JSON.stringify({ ok: true, items: [1, 2, 3] });
const POLICY = '"burst";q=1000000;w=1';
let n = 0;
const listening = () => process.stdout.write('headers server listening\n');

if (process.env.HEADERS_SERVER === 'fastify') {
  const app = Fastify();
  // Set the way the hub sets them: its request-id and default headers, then (for /ratelimit) the two
  // the API key guard adds with reply.header in its onRequest hook.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', `req_${(n++).toString(16).padStart(32, '0')}`);
    if (req.routeOptions.url === '/ratelimit') {
      reply.header('ratelimit-policy', POLICY);
      reply.header('ratelimit', `"burst";r=${999_990 + (n % 10)};t=1`);
    }
    done();
  });
  for (const url of ['/', '/ratelimit']) app.get(url, (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  void app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(listening);
} else {
  createServer((req, res) => {
    // The headers every hub response carries, with values of the same sizes.
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      // As long as the hub's (`req_` and 32 hex characters).
      'x-request-id': `req_${(n++).toString(16).padStart(32, '0')}`,
    };
    // What ApiKeyGuard adds to an admitted request of the bench's one-key scenario: the policy string
    // (computed once per key record), and a `RateLimit` value with the remaining count.
    if (req.url === '/ratelimit') {
      headers['ratelimit-policy'] = POLICY;
      headers['ratelimit'] = `"burst";r=${999_990 + (n % 10)};t=1`;
    }
    res.writeHead(200, headers);
    res.end(body);
  }).listen(Number(process.env.PORT), '127.0.0.1', listening);
}
