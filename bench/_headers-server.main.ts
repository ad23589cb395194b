// Not a benchmark itself (the leading _ keeps tools/run-bench.js from running it): the server child
// of bench/headers.ts. Plain node:http, no Fastify and no Nest: what HTTP itself charges for the
// headers an authenticated hub response carries.
import { createServer } from 'node:http';

const body = JSON.stringify({ ok: true, items: [1, 2, 3] });
let n = 0;

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
    headers['ratelimit-policy'] = '"burst";q=1000000;w=1';
    headers['ratelimit'] = `"burst";r=${999_990 + (n % 10)};t=1`;
  }
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('headers server listening\n'));
