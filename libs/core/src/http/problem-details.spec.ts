import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyReply } from 'fastify';
import { ProblemException } from './problem';
import { problemJsonHead, sendProblem, toProblem } from './problem-details.filter';

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
