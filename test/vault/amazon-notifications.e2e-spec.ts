import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { AmazonNotificationsPoller } from '../../libs/vault/src/rotation/amazon-notifications.poller';
import { startVaultStack, VaultStack } from './support/vault-stack';

const DAY = 86_400_000;

describe("Amazon's rotation notices (SQS-like queue in the sandbox)", () => {
  let stack: VaultStack;
  let poller: AmazonNotificationsPoller;

  before(async () => {
    stack = await startVaultStack('amznotice');
    poller = stack.worker.get(AmazonNotificationsPoller, { strict: false });
  });
  after(async () => {
    await stack?.close();
  });

  const control = (path: string, body?: unknown) => stack.control(path, body);
  const amazon = () => stack.amazon();
  const queued = async () => ((await (await fetch(`${stack.sb}/_sandbox/state`)).json()) as any).amazon.notificationsQueued.total as number;
  const openAlerts = () => stack.openAlerts();

  it('records an announced expiry on the current version (health expiring, alert open) and deletes the message', async () => {
    const at = new Date(Date.now() + 3 * DAY).toISOString();
    await control('/_sandbox/amazon/notify-expiry', { clientSecretExpiryTime: at });
    const r = await poller.poll();
    assert.deepEqual(r, { received: 1, deleted: 1, newSecrets: 0, expiries: 1 });
    const [v1] = await amazon();
    assert.equal(v1.version, 1);
    assert.equal(v1.expiresAt, at);
    assert.equal(v1.health, 'expiring');
    assert.ok((await openAlerts()).some((a) => a.kind === 'credential-expiring' && a.subject === 'amazon'));
    assert.equal(await queued(), 0);
  });

  it('keeps a new secret pending and the message queued while LWA is down, then verifies, promotes and deletes it once LWA answers', async () => {
    await control('/_sandbox/faults', { partner: 'amazon', kind: 'server-error', status: 503, match: '/auth/o2/token' });
    const rot = await control('/_sandbox/amazon/rotate-secret', { oldSecretValidDays: 7 });
    const down = await poller.poll();
    assert.equal(down.received, 1);
    assert.equal(down.deleted, 0, 'not deleted: SQS will deliver it again');
    let vs = await amazon();
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[2, 'pending'], [1, 'current']]);
    assert.equal(vs[0].source, 'amazon-notification');
    assert.match(vs[0].lastError, /unreachable|503|server_error/);
    await stack.clearFaults();

    // SQS redelivers after the visibility timeout (30 s in the sandbox); the stored pending version is reused, not duplicated.
    let again = await poller.poll();
    for (const deadline = Date.now() + 40_000; again.received === 0 && Date.now() < deadline; again = await poller.poll()) await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(again, { received: 1, deleted: 1, newSecrets: 1, expiries: 0 });
    vs = await amazon();
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[2, 'current'], [1, 'previous']]);
    // The old secret stays usable until the earlier of Amazon's announced end and its own expiry.
    assert.ok(Math.abs(Date.parse(vs[1].expiresAt) - Math.min(Date.parse(rot.oldSecretExpiresAt), Date.now() + 3 * DAY)) < 60_000);
    assert.equal(await queued(), 0);
    assert.ok(!(await openAlerts()).some((a) => a.kind === 'credential-expiring' && a.subject === 'amazon'), 'the new current version has no expiry');
    const ds = stack.api.app.get(DataSource);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'vault.credential.rotated' AND subject_id = 'amazon:v2'`);
    assert.equal(n, 1);
  });
});
