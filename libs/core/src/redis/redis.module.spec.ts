import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { createRedis } from './redis.module';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('createRedis', () => {
  it('handles connection errors itself: nothing goes to stderr as "[ioredis] Unhandled error event"', async () => {
    const port = await closedPort();
    const stderr: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void stderr.push(args.map(String).join(' '));
    const redis = createRedis(`redis://127.0.0.1:${port}`, 'spec');
    try {
      assert.ok(redis.listenerCount('error') > 0);
      // A few reconnect attempts (ioredis retries within tens of milliseconds at first).
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(stderr.filter((l) => l.includes('Unhandled error event')), []);
    } finally {
      redis.disconnect();
      console.error = original;
    }
  });
});
