import '../support/test-env';
import { AlertKind, ALERTS_DELIVER_JOB, ALERTS_QUEUE, AlertsService, verifyWebhook } from '@hub/alerts';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeysService } from '@hub/api-keys';
import { ChannelSyncControl, MetricsService } from '@hub/core';
import type { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi, startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { AlertReceiver, startAlertReceiver } from '../vault/support/vault-helpers';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
/**
 * A kind no evaluator reconciles (every real kind has one now), for the tests of raise() itself:
 * the evaluation (every 300 ms here) would otherwise resolve such an alert between two raises on a
 * slow machine, and the next raise would rightly open a new one.
 */
const UNRECONCILED = 'test-unreconciled' as AlertKind;

describe('alerts: one open alert per kind and subject, signed webhooks with retries, self-resolution', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let receiver: AlertReceiver;
  let admin: string;
  let reader: string;

  before(async () => {
    db = await createTestDatabase('alerts');
    // The first delivery fails, to prove BullMQ retries it.
    receiver = await startAlertReceiver(1);
    process.env.ALERT_WEBHOOK_URL = receiver.url;
    process.env.ALERT_WEBHOOK_SECRET = SECRET;
    process.env.ALERTS_EVALUATE_EVERY_MS = '300';
    // Webhooks recorded but never queued are picked up after 300 ms.
    process.env.ALERTS_REDELIVER_EVERY_MS = '300';
    // Verification targets nothing here: keep the vault's own checks out of the way.
    process.env.AMAZON_NOTIFICATIONS_POLL_MS = '3600000';
    process.env.VAULT_RECHECK_EVERY_MS = '3600000';
    api = await startApi();
    worker = await startWorker();
    admin = await createTestKey(api.app, { scopes: 'all' });
    reader = await createTestKey(api.app, { scopes: ['alerts:read'] });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
    await db?.drop();
  });

  const list = async (q = 'status=open', key = admin) => {
    const res = await fetch(`${api.url}/v1/alerts?${q}`, { headers: bearer(key) });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('keeps one open alert when many instances raise the same condition at once, and delivers it once, signed, after a retry', async () => {
    const alerts = api.app.get(AlertsService, { strict: false });
    const raised = await Promise.all(
      Array.from({ length: 20 }, () => alerts.raise({ kind: UNRECONCILED, subject: 'AbCdEf123456', severity: 'critical', message: 'abnormal burst of requests', details: { keyId: 'AbCdEf123456' } })),
    );
    assert.equal(new Set(raised.map((r) => r.alert.id)).size, 1);
    assert.equal(raised.filter((r) => r.notified).length, 1);
    const ds = api.app.get(DataSource);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM alerts WHERE kind = $1 AND subject = 'AbCdEf123456'`, [UNRECONCILED]);
    assert.equal(n, 1);

    // This alert's deliveries only: the receiver is shared, and an evaluator may open another alert meanwhile.
    const webhookId = `alert-${raised[0].alert.id}-opened`;
    const mine = () => receiver.hooks.filter((d) => d.headers['webhook-id'] === webhookId);
    const seen = () => JSON.stringify(receiver.hooks.map((d) => [d.headers['webhook-id'], d.answered, JSON.parse(d.body).data.kind]));
    const ok = await waitUntil(() => mine().find((d) => d.answered === 204), 15_000, 100);
    assert.equal(mine()[0].answered, 500, `first attempt failed; received: ${seen()}`);
    assert.equal(mine().filter((d) => d.answered === 204).length, 1, `delivered once; received: ${seen()}`);
    assert.equal(verifyWebhook(SECRET, ok.headers as Record<string, string>, ok.body), true, 'valid Standard Webhooks signature');
    assert.match(String(ok.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    assert.equal(verifyWebhook(`whsec_${randomBytes(24).toString('base64')}`, ok.headers as Record<string, string>, ok.body), false);
    const payload = JSON.parse(ok.body);
    assert.equal(payload.type, 'alert.opened');
    assert.equal(payload.data.kind, UNRECONCILED);
    assert.equal(payload.data.subject, 'AbCdEf123456');
    assert.equal(payload.data.severity, 'critical');
    // Counted per attempt over every alert (another one may be in flight): at least this one's failure and delivery.
    const attempts = await worker.get(MetricsService).registry.getSingleMetricAsString('hub_alert_webhook_attempts_total');
    const count = (outcome: string) => Number(new RegExp(`outcome="${outcome}"} (\\d+)`).exec(attempts)?.[1] ?? 0);
    assert.ok(count('failed') >= 1 && count('delivered') >= 1, attempts);
  });

  it('resolves an alert by itself once the repeatable evaluation finds the condition gone', async () => {
    // The amazon credential is in fact fine, so the vault's evaluator clears this alert.
    const alerts = api.app.get(AlertsService, { strict: false });
    await alerts.raise({ kind: 'credential-failing', subject: 'amazon', severity: 'critical', message: 'LWA said invalid_client', details: { partner: 'amazon' } });
    await waitUntil(async () => !(await list('status=open')).body.data.some((a: any) => a.kind === 'credential-failing' && a.subject === 'amazon'), 10_000, 100);
    const resolved = (await list('status=resolved&kind=credential-failing')).body.data[0];
    assert.equal(resolved.status, 'resolved');
    assert.ok(resolved.resolvedAt);
  });

  it('opens channel-sync-paused from the evaluation, acknowledges it (it stays open), resolves it on resume; bad input is a 4xx naming the field', async () => {
    const ctl = worker.get(ChannelSyncControl, { strict: false });
    await ctl.pause('nykaa', 'test: credential rejected');
    const a = await waitUntil(async () => (await list('status=open', reader)).body.data.find((x: any) => x.kind === 'channel-sync-paused' && x.subject === 'nykaa'), 10_000, 100);
    assert.equal(a.status, 'open');
    assert.equal((await fetch(`${api.url}/v1/alerts/${a.id}/ack`, { method: 'POST', headers: bearer(reader) })).status, 403);
    const acked = await fetch(`${api.url}/v1/alerts/${a.id}/ack`, { method: 'POST', headers: bearer(admin) });
    assert.equal(acked.status, 200);
    const body: any = await acked.json();
    assert.ok(body.acknowledgedAt);
    assert.equal(body.status, 'open');
    const bad = await fetch(`${api.url}/v1/alerts/abc/ack`, { method: 'POST', headers: bearer(admin) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).errors[0].field, 'id');
    assert.equal((await fetch(`${api.url}/v1/alerts/999999/ack`, { method: 'POST', headers: bearer(admin) })).status, 404);
    const badStatus = await list('status=bogus');
    assert.equal(badStatus.status, 400);
    assert.equal(badStatus.body.errors[0].field, 'status');
    assert.equal((await fetch(`${api.url}/v1/alerts`)).status, 401);

    await ctl.resume('nykaa');
    await waitUntil(async () => !(await list('status=open')).body.data.some((x: any) => x.kind === 'channel-sync-paused' && x.subject === 'nykaa'), 10_000, 100);
  });

  it('opens key-expiring for a key near its expiry and resolves it once the key is no longer expiring', async () => {
    const soon = await createTestKey(api.app, { scopes: ['alerts:read'], name: 'expiring soon', expiresAt: new Date(Date.now() + 2 * 86_400_000) });
    const keyId = soon.split('_')[2];
    await waitUntil(async () => (await list('status=open')).body.data.some((a: any) => a.kind === 'key-expiring' && a.subject === keyId), 10_000, 100);
    await api.app.get(ApiKeysService, { strict: false }).revoke(keyId, 'test');
    await waitUntil(async () => !(await list('status=open')).body.data.some((a: any) => a.kind === 'key-expiring' && a.subject === keyId), 10_000, 100);
  });

  const hooksFor = (alertId: string) => receiver.hooks.filter((h) => h.answered === 204 && JSON.parse(h.body).data.id === alertId);

  it('sends one alert.opened (no alert.escalated) when many instances open an alert that carries an escalation step, then one per real escalation', async () => {
    const alerts = api.app.get(AlertsService, { strict: false });
    const input = { kind: UNRECONCILED, subject: 'escalation-race', severity: 'warning' as const, message: 'quota at 90%', details: { escalation: 'within-7-days' } };
    const raised = await Promise.all(Array.from({ length: 20 }, () => alerts.raise(input)));
    const id = raised[0].alert.id;
    assert.equal(new Set(raised.map((r) => r.alert.id)).size, 1);
    assert.equal(raised.filter((r) => r.notified).length, 1, 'only the instance that opened it notifies');
    await waitUntil(() => hooksFor(id).length >= 1, 10_000, 50);
    const escalated = await alerts.raise({ ...input, severity: 'critical', details: { escalation: 'within-1-days' } });
    assert.equal(escalated.notified, true);
    assert.equal((await alerts.raise({ ...input, severity: 'critical', details: { escalation: 'within-1-days' } })).notified, false);
    await waitUntil(() => hooksFor(id).length >= 2, 10_000, 50);
    await sleep(1000); // several redelivery sweeps: nothing more goes out
    assert.deepEqual(hooksFor(id).map((h) => [JSON.parse(h.body).type, h.headers['webhook-id']]), [
      ['alert.opened', `alert-${id}-opened`],
      ['alert.escalated', `alert-${id}-esc-1`],
    ]);
  });

  it('still delivers a new alert\'s webhook, exactly once, when Redis fails between storing the alert and queuing its delivery', async () => {
    const alerts = api.app.get(AlertsService, { strict: false });
    const queue = api.app.get<Queue>(getQueueToken(ALERTS_QUEUE));
    const add = queue.add.bind(queue);
    let refused = 0;
    queue.add = (async (name: string, ...rest: unknown[]) => {
      if (name === ALERTS_DELIVER_JOB) {
        refused++;
        throw new Error('Connection is closed.');
      }
      return (add as (...a: unknown[]) => unknown)(name, ...rest);
    }) as Queue['add'];
    let raised;
    try {
      raised = await alerts.raise({ kind: UNRECONCILED, subject: 'redis-blip', severity: 'critical', message: 'calls from a new network' });
    } finally {
      queue.add = add;
    }
    assert.equal(refused, 1, 'the delivery could not be queued');
    assert.equal(raised.notified, true);
    const id = raised.alert.id;
    const hook = await waitUntil(() => hooksFor(id)[0], 10_000, 50);
    assert.equal(JSON.parse(hook.body).type, 'alert.opened');
    assert.equal(verifyWebhook(SECRET, hook.headers as Record<string, string>, hook.body), true);
    const ds = api.app.get(DataSource);
    await waitUntil(async () => (await ds.query(`SELECT webhook_delivered_at FROM alerts WHERE id = $1`, [id]))[0].webhook_delivered_at, 5_000, 50);
    await sleep(1000); // several redelivery sweeps later: still one
    assert.equal(hooksFor(id).length, 1);
  });
});
