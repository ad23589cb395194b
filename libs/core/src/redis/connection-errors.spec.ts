import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it, mock } from 'node:test';
import type { Logger } from '@nestjs/common';
import { CONNECTION_ERROR_LOG_EVERY_MS, logConnectionErrors } from './connection-errors';

function recorder() {
  const lines: [string, string][] = [];
  const logger = { warn: (_o: unknown, m: string) => lines.push(['warn', m]), error: (_o: unknown, m: string) => lines.push(['error', m]), log: (m: string) => lines.push(['log', m]) };
  return { lines, logger: logger as unknown as Logger };
}
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('logConnectionErrors', () => {
  it('logs a reconnect loop once per interval, every other error each time, and says when Redis is back', () => {
    const { lines, logger } = recorder();
    const emitter = new EventEmitter();
    const back = logConnectionErrors(emitter, logger, 'queue q');
    for (let i = 0; i < 5; i++) emitter.emit('error', refused());
    emitter.emit('error', new Error('could not renew lock for job 7'));
    emitter.emit('error', new Error('could not renew lock for job 8'));
    back();
    emitter.emit('error', refused());
    assert.deepEqual(lines, [
      ['warn', 'queue q unreachable; retrying'],
      ['error', 'queue q error'],
      ['error', 'queue q error'],
      ['log', 'queue q reachable again'],
      ['warn', 'queue q unreachable; retrying'],
    ]);
  });

  it('stays quiet when the emitter has a listener of its own', () => {
    const { lines, logger } = recorder();
    const emitter = new EventEmitter();
    logConnectionErrors(emitter, logger, 'queue q');
    emitter.on('error', () => undefined);
    emitter.emit('error', refused());
    emitter.emit('error', new Error('could not renew lock'));
    assert.deepEqual(lines, []);
  });

  it('without a reconnect signal (a BullMQ queue), two quiet intervals end an outage: the next one is logged at once', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      const { lines, logger } = recorder();
      const emitter = new EventEmitter();
      logConnectionErrors(emitter, logger, 'queue q');
      emitter.emit('error', refused());
      mock.timers.tick(CONNECTION_ERROR_LOG_EVERY_MS + 1);
      emitter.emit('error', refused());
      mock.timers.tick(3 * CONNECTION_ERROR_LOG_EVERY_MS);
      emitter.emit('error', refused());
      assert.deepEqual(lines.map((l) => l[1]), ['queue q unreachable; retrying', 'queue q still unreachable', 'queue q unreachable; retrying']);
    } finally {
      mock.timers.reset();
    }
  });
});
