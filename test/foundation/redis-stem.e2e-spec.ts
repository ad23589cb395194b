import '../support/test-env';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { resolve } from 'node:path';
import Redis from 'ioredis';

// tools/ is plain JS run from the repository root (npm scripts run there), not compiled into dist.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dropRedisKeys, newRedisStem } = require(resolve(process.cwd(), 'tools/redis-stem.js')) as {
  dropRedisKeys(stem: string, url?: string): Promise<void>;
  newRedisStem(kind: string): string;
};

describe('test and benchmark runs delete the Redis keys they leave (tools/redis-stem.js)', () => {
  const url = process.env.REDIS_URL!;
  const redis = new Redis(url);
  after(() => redis.disconnect());

  it('deletes every key under the run stem, across SCAN pages, and nothing else', async () => {
    const stem = newRedisStem('spec');
    const neighbour = `x${stem}kept`;
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.set(`${stem}p${i}:bull:q:${i}`, '1');
    pipeline.set(neighbour, '1');
    await pipeline.exec();
    await dropRedisKeys(stem, url);
    let left = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stem}*`, 'COUNT', 1000);
      cursor = next;
      left += keys.length;
    } while (cursor !== '0');
    assert.equal(left, 0);
    assert.equal(await redis.exists(neighbour), 1, 'a key that only contains the stem stays');
    await redis.del(neighbour);
  });
});
