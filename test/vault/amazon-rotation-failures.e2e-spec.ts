import '../support/test-env';
import { AlertsService } from '@hub/alerts';
import { ChannelSyncControl } from '@hub/core';
import { VaultService } from '@hub/vault';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AmazonNotificationsPoller } from '../../libs/vault/src/rotation/amazon-notifications.poller';
import { bearer } from '../support/api-keys';
import { startVaultStack, VaultStack } from './support/vault-stack';
import { amazonFields } from './support/vault-helpers';

const DAY = 86_400_000;

/** Amazon's rotation notices when things go wrong: LWA refusing the new secret, notices arriving out of order. */
describe("Amazon's rotation notices: a refused new secret, and an expiry notice older than the current version", () => {
  let stack: VaultStack;
  let poller: AmazonNotificationsPoller;
  let vault: VaultService;

  before(async () => {
    stack = await startVaultStack('amzrotfail');
    poller = stack.worker.get(AmazonNotificationsPoller, { strict: false });
    vault = stack.worker.get(VaultService, { strict: false });
  });
  after(async () => {
    await stack?.close();
  });

  const control = (path: string, body?: unknown) => stack.control(path, body);
  const amazon = () => stack.amazon();
  const openAlert = async (kind: string) => (await stack.openAlerts()).find((a) => a.kind === kind && a.subject === 'amazon');
  const near = (a: string | null, b: string, ms = 60_000) => a !== null && Math.abs(Date.parse(a) - Date.parse(b)) < ms;

  it('a new secret LWA refuses: the old expiry is kept on the current version, an alert opens, and the re-check promotes it once LWA accepts it', async () => {
    await control('/_sandbox/faults', { partner: 'amazon', kind: 'reject-credentials', match: '/auth/o2/token' });
    const rot = await control('/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    const r = await poller.poll();
    // Refused (not unreachable): the message is finished with, as before.
    assert.deepEqual(r, { received: 1, deleted: 1, newSecrets: 1, expiries: 0 });

    let vs = await amazon();
    assert.deepEqual(vs.map((v) => [v.version, v.status, v.source]), [[2, 'pending', 'amazon-notification'], [1, 'current', 'environment']]);
    assert.equal(vs[0].health, 'failing');
    // The deleted notice was the only place the old secret's end was written: it is on v1 now.
    assert.ok(near(vs[1].expiresAt, rot.oldSecretExpiresAt, 1000), `v1 expiresAt ${vs[1].expiresAt}, announced ${rot.oldSecretExpiresAt}`);
    assert.equal(vs[1].health, 'expiring');
    assert.ok(await openAlert('credential-expiring'), 'credential-expiring is open');
    const failing = await openAlert('credential-failing');
    assert.ok(failing, 'credential-failing is open for the refused new secret');
    assert.match(failing.message, /v2/);
    assert.equal(failing.details.pendingVersion, 2);
    // v1 still works: Amazon sync is not paused for a secret that is not in use yet.
    assert.equal(await stack.worker.get(ChannelSyncControl, { strict: false }).isPaused('amazon'), false);
    // The periodic evaluator agrees with the event: the alert is not resolved behind our back.
    await stack.worker.get(AlertsService, { strict: false }).evaluateAll();
    assert.equal((await openAlert('credential-failing'))?.id, failing.id);

    // While LWA still refuses it the re-check retries and changes nothing.
    let rc = await vault.recheck();
    assert.deepEqual(rc.promoted, []);
    assert.equal((await amazon())[0].status, 'pending');

    await stack.clearFaults();
    rc = await vault.recheck();
    assert.deepEqual(rc.promoted, ['amazon:v2']);
    vs = await amazon();
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[2, 'current'], [1, 'previous']]);
    assert.ok(near(vs[1].expiresAt, rot.oldSecretExpiresAt, 1000), 'v1 stays usable until the end Amazon announced');
    assert.equal(vs[0].expiresAt, null);
    assert.equal(await openAlert('credential-failing'), undefined);
    assert.equal(await openAlert('credential-expiring'), undefined, 'the new current version has no expiry');
  });

  it('an expiry notice published before the current version became current is skipped, not written onto the new secret', async () => {
    await stack.clearFaults();
    // Amazon announces the current secret's end, then rotates; the operator stores the new secret before the worker polls.
    await control('/_sandbox/amazon/notify-expiry', { clientSecretExpiryTime: new Date(Date.now() + 3 * DAY).toISOString() });
    const rot = await control('/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    await new Promise((r) => setTimeout(r, 20));
    const res = await fetch(`${stack.api.url}/v1/vault/credentials/amazon`, { method: 'PUT', headers: { ...bearer(stack.key), 'content-type': 'application/json' }, body: JSON.stringify({ fields: amazonFields(rot.newClientSecret) }) });
    assert.equal(res.status, 201, await res.text());

    const r = await poller.poll();
    // Both finished with: the expiry notice is stale, the new secret is already current.
    assert.deepEqual(r, { received: 2, deleted: 2, newSecrets: 1, expiries: 0 });
    const [v3] = await amazon();
    assert.deepEqual([v3.version, v3.status, v3.expiresAt, v3.health], [3, 'current', null, 'ok']);
    assert.equal(await openAlert('credential-expiring'), undefined);

    // A notice published after it became current is about it, and is recorded.
    const at = new Date(Date.now() + 5 * DAY).toISOString();
    await control('/_sandbox/amazon/notify-expiry', { clientSecretExpiryTime: at });
    assert.deepEqual(await poller.poll(), { received: 1, deleted: 1, newSecrets: 0, expiries: 1 });
    assert.equal((await amazon())[0].expiresAt, at);
    assert.ok(await openAlert('credential-expiring'));
  });
  it('a new-secret notice older than the notice-sourced current version is skipped, not promoted back over it', async () => {
    await stack.clearFaults();
    // Amazon rotates twice; SQS hands the notices over newest first.
    await control('/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    await control('/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    const { Messages } = await control('/_sqs/amazon-notifications/receive', { maxMessages: 10 });
    assert.equal(Messages.length, 2);
    const [older, newer] = Messages;
    const result = { received: 0, deleted: 0, newSecrets: 0, expiries: 0 };
    const handle = (msg: unknown) => (poller as unknown as { handle(m: unknown, r: typeof result): Promise<boolean> }).handle(msg, result);
    assert.equal(await handle(newer), true);
    const [cur] = await amazon();
    assert.deepEqual([cur.status, cur.source], ['current', 'amazon-notification']);
    // The older secret still works at LWA for a week: without the check it would verify and become current.
    assert.equal(await handle(older), true);
    const vs = await amazon();
    assert.equal(vs[0].version, cur.version, `v${vs[0].version} was added over v${cur.version}`);
    assert.equal(vs[0].status, 'current');
    for (const m of Messages) await control('/_sqs/amazon-notifications/delete', { ReceiptHandle: m.ReceiptHandle });
  });
});
