import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { mintRequestId, requestIdFor } from './request-id';

const request = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as IncomingMessage;

describe('request ids', () => {
  it('mints req_ and 32 hex characters, all distinct across many refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = mintRequestId();
      assert.match(id, /^req_[0-9a-f]{32}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 10_000);
  });

  it('keeps a well-formed X-Request-Id and replaces a malformed or repeated one', () => {
    assert.equal(requestIdFor(request({ 'x-request-id': 'trace-123:abc' })), 'trace-123:abc');
    for (const bad of ['short', 'has space in it', 'x'.repeat(129), 'semi;colon']) assert.match(requestIdFor(request({ 'x-request-id': bad })), /^req_[0-9a-f]{32}$/);
    assert.match(requestIdFor(request({ 'x-request-id': ['aaaaaaa', 'bbbbbbb'] })), /^req_[0-9a-f]{32}$/);
    assert.match(requestIdFor(request({})), /^req_[0-9a-f]{32}$/);
  });
});
