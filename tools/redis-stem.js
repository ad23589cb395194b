'use strict';
// The Redis keys of a test or benchmark run: every process of the run puts this stem first in its
// REDIS_PREFIX (TEST_REDIS_STEM; test/support/test-env.ts, bench/auth.ts), and the runner deletes
// what is left under it when the run ends, so a developer's Redis does not fill with old queues.
const { randomBytes } = require('node:crypto');

function newRedisStem(kind) {
  return `${kind}-${randomBytes(4).toString('hex')}-`;
}

/** Deletes the keys under `stem` with SCAN and UNLINK (never KEYS: a running hub may share this Redis). */
async function dropRedisKeys(stem, url = process.env.TEST_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379') {
  const Redis = require('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stem}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch (err) {
    console.error(`could not delete this run's Redis keys (${stem}*): ${err.message}`);
  } finally {
    redis.disconnect();
  }
}

module.exports = { dropRedisKeys, newRedisStem };
