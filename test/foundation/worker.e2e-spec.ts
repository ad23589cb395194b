import '../support/test-env';
import type { INestApplicationContext } from '@nestjs/common';
import { CoreConfig, heartbeatKey, loadConfig, SYSTEM_QUEUE, redisOptionsFromUrl } from '@hub/core';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorker } from '../support/hub-harness';
import { syncQueueName } from '@hub/inventory';
import { WorkerMetricsServer } from '../../apps/worker/src/metrics/worker-metrics.server';
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

  it('purges Idempotency-Key records past their retention and keeps recent ones', async () => {
    const ds = worker.get(DataSource);
    await ds.query(
      `INSERT INTO idempotency_records (actor, scope, key, request_hash, status_code, response, created_at)
       VALUES ('k1', 's', 'old', 'h', 201, '{}', now() - interval '25 hours'), ('k1', 's', 'new', 'h', 201, '{}', now() - interval '1 hour')`,
    );
    const job = await queue.add('purge-idempotency', {});
    const result = (await job.waitUntilFinished(events, 10_000)) as { deleted: number };
    assert.equal(result.deleted, 1);
    const left: { key: string }[] = await ds.query(`SELECT key FROM idempotency_records`);
    assert.deepEqual(left.map((r) => r.key), ['new']);
    const schedulers = await queue.getJobSchedulers();
    assert.ok(schedulers.some((s) => s.key === 'purge-idempotency' || s.name === 'purge-idempotency'));
  });

  it('serves its Prometheus metrics over HTTP, with the sync backlog read at scrape time', async () => {
    const port = worker.get(WorkerMetricsServer).port;
    assert.ok(port, 'metrics listener bound');
    const base = `http://127.0.0.1:${port}`;
    // A delayed job stays put: the gauge must count it.
    const amazon = new Queue(syncQueueName('amazon'), { connection: redisOptionsFromUrl(cfg().REDIS_URL), prefix: `${cfg().REDIS_PREFIX}:bull` });
    try {
      await amazon.add('sync', { channel: 'amazon', sku: 'METRICS-PROBE' }, { delay: 60_000, jobId: 'metrics-probe' });
      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^hub_inventory_sync_queue_jobs\{channel="amazon",state="delayed"\} 1$/m);
      assert.match(text, /^hub_inventory_outbox_pending 0$/m);
      // Counters registered by worker-side services are on the same page.
      assert.match(text, /^# TYPE hub_inventory_sync_pushes_total counter$/m);
      assert.match(text, /^# TYPE hub_inventory_reconcile_drift_fixed_total counter$/m);
      assert.match(text, /^hub_process_cpu_seconds_total /m);
    } finally {
      await amazon.remove('metrics-probe');
      await amazon.close();
    }
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const body = (await missing.json()) as { status: number; type: string; title: string; requestId: string };
    assert.equal(body.status, 404);
    assert.equal(body.type, 'https://hub.novaskin.dev/problems/not-found');
    assert.ok(body.title);
    assert.equal(body.requestId, missing.headers.get('x-request-id'), 'every problem names its request, as on the api');
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('keeps beating on its own schedule', async () => {
    const first = Number((await redis.get(heartbeatKey(cfg().REDIS_PREFIX)))!.split('|')[0]);
    await waitUntil(async () => Number((await redis.get(heartbeatKey(cfg().REDIS_PREFIX)))!.split('|')[0]) > first, 5000);
    const schedulers = await queue.getJobSchedulers();
    assert.ok(schedulers.some((s) => s.key === 'heartbeat' || s.name === 'heartbeat'));
  });
});
