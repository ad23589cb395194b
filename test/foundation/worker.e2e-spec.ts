import '../support/test-env';
import type { INestApplicationContext } from '@nestjs/common';
import { CoreConfig, heartbeatKey, loadConfig, SYSTEM_QUEUE, redisOptionsFromUrl } from '@hub/core';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('worker (BullMQ through real Redis)', () => {
  let db: TestDatabase;
  let worker: INestApplicationContext;
  let redis: Redis;
  let queue: Queue;
  let events: QueueEvents;
  const cfg = () => loadConfig(CoreConfig);

  before(async () => {
    db = await createTestDatabase('worker');
    redis = new Redis(cfg().REDIS_URL);
    await redis.del(heartbeatKey(cfg().REDIS_PREFIX));
    worker = await startWorker();
    const connection = redisOptionsFromUrl(cfg().REDIS_URL);
    queue = new Queue(SYSTEM_QUEUE, { connection, prefix: `${cfg().REDIS_PREFIX}:bull` });
    events = new QueueEvents(SYSTEM_QUEUE, { connection, prefix: `${cfg().REDIS_PREFIX}:bull` });
    await events.waitUntilReady();
  });
  after(async () => {
    await events?.close();
    await queue?.close();
    await worker?.close();
    redis?.disconnect();
    await db?.drop();
  });

  it('processes a heartbeat job end to end and records when it did', async () => {
    const job = await queue.add('heartbeat', {});
    const result = (await job.waitUntilFinished(events, 10_000)) as { at: number; instance: string };
    assert.ok(Date.now() - result.at < 10_000);
    const stored = await redis.get(heartbeatKey(cfg().REDIS_PREFIX));
    assert.ok(stored, 'heartbeat key written');
    assert.ok(Date.now() - Number(stored!.split('|')[0]) < 10_000);
  });

  it('keeps beating on its own schedule', async () => {
    const first = Number((await redis.get(heartbeatKey(cfg().REDIS_PREFIX)))!.split('|')[0]);
    await waitUntil(async () => Number((await redis.get(heartbeatKey(cfg().REDIS_PREFIX)))!.split('|')[0]) > first, 5000);
    const schedulers = await queue.getJobSchedulers();
    assert.ok(schedulers.some((s) => s.key === 'heartbeat' || s.name === 'heartbeat'));
  });
});
