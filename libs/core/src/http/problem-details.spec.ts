import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentsHost, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ProblemException } from './problem';
import { ProblemDetailsFilter, problemJsonHead, sendProblem, toProblem } from './problem-details.filter';

/** Records what sendProblem does to a reply. */
function fakeReply() {
  const sent = { status: 0, headers: {} as Record<string, string>, body: '' };
  const reply = {
    header(k: string, v: string) {
      sent.headers[k.toLowerCase()] = v;
      return reply;
    },
    status(s: number) {
      sent.status = s;
      return reply;
    },
    send(b: string) {
      sent.body = b;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe('sendProblem', () => {
  const cases = [
    new ProblemException(401, 'invalid-api-key', 'The API key is not valid', { headers: { 'WWW-Authenticate': 'Bearer realm="novaskin-hub"' } }),
    new ProblemException(404, 'not-found', 'Product "x\\"y" was not found'),
    new ProblemException(409, 'conflict', 'Tricky \u2028 detail', { title: 'Custom title' }),
    new ProblemException(400, 'validation-failed', 'Invalid', { extensions: { errors: [{ field: 'sku', message: 'required' }] } }),
  ];

  it('sends exactly the bytes toProblem describes, whether or not the body head is cached', () => {
    for (const p of cases) {
      for (let round = 0; round < 2; round++) {
        const { reply, sent } = fakeReply();
        sendProblem(reply, 'req_0123abcd', p);
        const { body, headers } = toProblem(p, 'req_0123abcd');
        assert.equal(sent.body, JSON.stringify(body));
        assert.deepEqual(JSON.parse(sent.body), body);
        assert.equal(sent.status, body.status);
        assert.equal(sent.headers['content-type'], 'application/problem+json; charset=utf-8');
        for (const [k, v] of Object.entries(headers)) assert.equal(sent.headers[k.toLowerCase()], v);
      }
    }
    assert.equal(problemJsonHead(cases[3]), null, 'extensions are serialised per request');
    assert.ok(problemJsonHead(cases[0])?.endsWith('"requestId":'));
  });
});

describe('toProblem', () => {
  it('never lets an extension replace a standard member (a `status` extension once made the answer a 500)', () => {
    const p = new ProblemException(409, 'order-not-cancellable', 'Order is paid', {
      extensions: { status: 'paid', type: 'x', title: 'y', detail: 'z', requestId: 'forged', orderStatus: 'paid', instance: '/v1/orders/1' },
    });
    const { body } = toProblem(p, 'req_1');
    assert.deepEqual(body, {
      type: 'https://hub.novaskin.dev/problems/order-not-cancellable',
      title: p.title,
      status: 409,
      detail: 'Order is paid',
      requestId: 'req_1',
      orderStatus: 'paid',
      instance: '/v1/orders/1',
    });
    const { reply, sent } = fakeReply();
    sendProblem(reply, 'req_1', p);
    assert.equal(sent.status, 409);
    assert.equal(JSON.parse(sent.body).status, 409);
  });
});

describe('titles', () => {
  it('spell acronyms as such rather than deriving "Invalid api key" from the slug', () => {
    assert.equal(new ProblemException(401, 'invalid-api-key', 'x').title, 'Invalid API key');
    assert.equal(new ProblemException(401, 'missing-api-key', 'x').title, 'Missing API key');
    assert.equal(new ProblemException(403, 'ip-not-allowed', 'x').title, 'IP address not allowed');
  });
});

describe('ProblemDetailsFilter logging', () => {
  /** Runs the filter on one exception and returns what it logged, by level. */
  function logged(exception: unknown) {
    const filter = new ProblemDetailsFilter();
    const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
    const record = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push({ level, obj, msg });
    (filter as unknown as { logger: unknown }).logger = { error: record('error'), warn: record('warn') };
    const { reply } = fakeReply();
    const req = { id: 'req_0123abcd', routeUrl: '/v1/x' };
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => reply }) } as unknown as ArgumentsHost;
    filter.catch(exception, host);
    return lines;
  }

  it('logs a 5xx the code chose (partner unavailable) as one warn line without a stack, and an unexpected error with its stack', () => {
    const chosen = logged(new ProblemException(503, 'partner-unavailable', 'nykaa could not be reached'));
    assert.deepEqual(chosen.map((l) => [l.level, l.msg]), [['warn', 'answered 503']]);
    assert.ok(!('err' in chosen[0].obj), 'no stack for an answer the code chose');
    assert.match(String(chosen[0].obj.type), /partner-unavailable$/);

    // terminus answers a failing health check with Nest's ServiceUnavailableException.
    assert.deepEqual(logged(new ServiceUnavailableException({ status: 'error' })).map((l) => [l.level, l.msg]), [['warn', 'answered 503']]);

    const bug = logged(new TypeError('x is undefined'));
    assert.deepEqual(bug.map((l) => [l.level, l.msg]), [['error', 'unhandled error']]);
    assert.ok(bug[0].obj.err instanceof TypeError);

    assert.deepEqual(logged(new ProblemException(404, 'not-found', 'nope')), []);
  });
});
