import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeysService, KeyCacheService } from '@hub/api-keys';
import { DataSource } from 'typeorm';
import { ProblemException } from '@hub/core';
import { KeysRevokeCommand } from '../../libs/api-keys/src/cli/keys.commands';
import { callApi, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const DATE_RULE = 'must be an ISO 8601 calendar date or date-time from year 0001 to 9999, e.g. 2026-01-31T00:00:00Z';
const REASON_RULE = 'must be 1 to 500 characters, not blank';
/** The field's own message, or the validation pipe's for any null that reaches a constraint. */
const NOT_NULL = /^(must be an object|must not be null)$/;

/**
 * What /v1/keys and /v1/audit-events accept, over HTTP: null only where the contract gives it a
 * meaning, one date rule everywhere, a reason that says something, an ordered window, a metadata
 * size in bytes, and allow lists that say what they match.
 */
describe('API key routes: input rules (real Postgres and Redis)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  const call = (method: string, path: string, body?: unknown) => callApi(api.url, method, path, admin, body);
  const newKey = async (extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/v1/keys', { name: 'subject', environment: 'live', scopes: ['catalog:read'], tier: 'free', ...extra });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const refused = (res: { status: number; body: any; text: string }, field: string, message?: string | RegExp) => {
    assert.equal(res.status, 400, res.text);
    assert.ok(res.body.type.endsWith('/validation-failed'), res.text);
    const mine = (res.body.errors as { field: string; message: string }[]).filter((e) => e.field === field);
    assert.ok(mine.length, `${field} not named in ${res.text}`);
    if (typeof message === 'string') assert.ok(mine.some((e) => e.message === message), `${field}: ${res.text}`);
    else if (message) assert.ok(mine.some((e) => message.test(e.message)), `${field}: ${res.text}`);
  };

  before(async () => {
    db = await createTestDatabase('keysinput');
    api = await startApi();
    admin = await createTestKey(api.app, { scopes: 'all', name: 'admin' });
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  it('PATCH refuses null for name, scopes, tier, metadata and limits.burstPerSecond (400 naming the field, never a 500)', async () => {
    const { keyId } = await newKey({ metadata: { team: 'web' } });
    refused(await call('PATCH', `/v1/keys/${keyId}`, { metadata: null }), 'metadata', NOT_NULL);
    for (const field of ['name', 'scopes', 'tier']) refused(await call('PATCH', `/v1/keys/${keyId}`, { [field]: null }), field);
    refused(await call('PATCH', `/v1/keys/${keyId}`, { limits: { burstPerSecond: null } }), 'limits.burstPerSecond');
    refused(await call('POST', '/v1/keys', { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', metadata: null }), 'metadata', NOT_NULL);
    const unchanged = await call('GET', `/v1/keys/${keyId}`);
    assert.deepEqual(unchanged.body.metadata, { team: 'web' });
    // The service says the same to callers that do not come through HTTP.
    const svc = api.app.get(ApiKeysService);
    await assert.rejects(
      svc.patch(keyId, { metadata: null as unknown as Record<string, unknown> }, { label: 'cli' }),
      (err) => err instanceof ProblemException && err.getStatus() === 400 && JSON.stringify(err.problem.extensions).includes('"metadata"'),
    );
  });

  it('PATCH keeps null where it means something: no expiry, the tier\'s limits, no quota, every channel, any address, no application', async () => {
    const { keyId } = await newKey({
      channels: ['amazon'], allowedCidrs: ['127.0.0.1'], limits: { burstPerSecond: 1 }, application: 'app', expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const quota = await call('PATCH', `/v1/keys/${keyId}`, { limits: { quota: null } });
    assert.equal(quota.status, 200, quota.text);
    assert.equal(quota.body.effectiveLimits.quota, null);
    const res = await call('PATCH', `/v1/keys/${keyId}`, { expiresAt: null, limits: null, channels: null, allowedCidrs: null, application: null });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      [res.body.expiresAt, res.body.limits, res.body.channels, res.body.allowedCidrs, res.body.application],
      [null, null, null, null, null],
    );
    assert.deepEqual(res.body.effectiveLimits, { burstPerSecond: 1, quota: { limit: 500, period: 'day' } });
  });

  it('reads every date with one rule and one message: years 0001-0099 and a lowercase t or z are dates, week dates and the like are not', async () => {
    const { keyId } = await newKey();
    // Parsed (then refused for being past, which is the service's rule, not the format's).
    refused(await call('PATCH', `/v1/keys/${keyId}`, { expiresAt: '0050-01-01' }), 'expiresAt', 'must be a date-time in the future');
    refused(await call('POST', `/v1/keys/${keyId}/rotate`, { expiresAt: '0099-12-31T23:59:59Z' }), 'expiresAt', 'must be a date-time in the future');
    const lower = await call('PATCH', `/v1/keys/${keyId}`, { expiresAt: '2099-01-01t10:00:00z' });
    assert.equal(lower.status, 200, lower.text);
    assert.equal(lower.body.expiresAt, '2099-01-01T10:00:00.000Z');
    const created = await call('POST', '/v1/keys', { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', expiresAt: '2099-06-01 00:00z' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.expiresAt, '2099-06-01T00:00:00.000Z');
    const early = await call('GET', `/v1/keys/${keyId}/usage?from=0050-01-01&to=0050-01-02t00:00z`);
    assert.equal(early.status, 200, early.text);
    assert.equal(early.body.from, '0050-01-01T00:00:00.000Z');
    assert.equal(early.body.data.length, 24);
    assert.equal((await call('GET', '/v1/audit-events?from=0050-01-01&to=0050-01-02')).status, 200);
    assert.equal((await call('GET', '/v1/analytics/endpoints?from=0050-01-01&to=0050-01-02')).status, 200);

    for (const bad of ['tomorrow', '2027-W10', '2027-100', '20271231', '2027-02-30', '0000-01-01', '2027-01-01T24:00Z']) {
      refused(await call('PATCH', `/v1/keys/${keyId}`, { expiresAt: bad }), 'expiresAt', DATE_RULE);
      refused(await call('POST', '/v1/keys', { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', expiresAt: bad }), 'expiresAt', DATE_RULE);
      refused(await call('POST', `/v1/keys/${keyId}/rotate`, { expiresAt: bad }), 'expiresAt', DATE_RULE);
      const q = encodeURIComponent(bad);
      refused(await call('GET', `/v1/keys/${keyId}/usage?from=${q}`), 'from', DATE_RULE);
      refused(await call('GET', `/v1/audit-events?to=${q}`), 'to', DATE_RULE);
      refused(await call('GET', `/v1/analytics/usage?from=${q}`), 'from', DATE_RULE);
    }
    refused(await call('PATCH', `/v1/keys/${keyId}`, { expiresAt: 20270101 }), 'expiresAt', DATE_RULE);
  });

  it('GET /v1/audit-events refuses a window whose from is not before to, as the usage endpoints do', async () => {
    refused(await call('GET', '/v1/audit-events?from=2027-01-01&to=2026-01-01'), 'from', 'must be before to');
    refused(await call('GET', '/v1/audit-events?from=2026-01-01&to=2026-01-01T00:00:00Z'), 'from', 'must be before to');
    const usage = await call('GET', `/v1/keys/${(await newKey()).keyId}/usage?from=2027-01-01&to=2026-01-01`);
    refused(usage, 'from', 'must be before to');
    const ok = await call('GET', '/v1/audit-events?from=2026-01-01&to=2126-01-01&action=key.created');
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.body.data.length > 0);
  });

  it('revoke trims the reason and refuses a blank one, over HTTP and from the CLI, so a blank reason is never the one kept', async () => {
    const { keyId } = await newKey();
    for (const reason of ['', '   ', '\t \n', 'x'.repeat(501)]) refused(await call('POST', `/v1/keys/${keyId}/revoke`, { reason }), 'reason', REASON_RULE);
    assert.equal((await call('GET', `/v1/keys/${keyId}`)).body.status, 'active', 'a refused revoke revokes nothing');
    const ok = await call('POST', `/v1/keys/${keyId}/revoke`, { reason: '  leaked in a CI log \n' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.revokedReason, 'leaked in a CI log');
    // Idempotent, but still not with a blank reason.
    refused(await call('POST', `/v1/keys/${keyId}/revoke`, { reason: ' ' }), 'reason', REASON_RULE);
    const trail = await call('GET', `/v1/audit-events?keyId=${keyId}&action=key.revoked`);
    assert.equal(trail.body.data[0].details.reason, 'leaked in a CI log');

    const other = await newKey();
    const cli = new KeysRevokeCommand(api.app.get(ApiKeysService));
    await assert.rejects(cli.run({ positional: [other.keyId], flags: { reason: '   ' } }), { name: 'CommandError', message: `--reason: ${REASON_RULE}` });
    const svc = api.app.get(ApiKeysService);
    await assert.rejects(svc.revoke(other.keyId, ' \t ', { label: 'cli' }), (err) => err instanceof ProblemException && err.getStatus() === 400);
    assert.equal((await call('GET', `/v1/keys/${other.keyId}`)).body.status, 'active');
    const viaCli = await svc.revoke(other.keyId, ' rotated out ', { label: 'cli' });
    assert.equal(viaCli.revokedReason, 'rotated out');
  });

  it('counts the metadata limit in UTF-8 bytes', async () => {
    const { keyId } = await newKey();
    // 2,108 characters of JSON, 4,208 bytes.
    refused(await call('PATCH', `/v1/keys/${keyId}`, { metadata: { a: 'é'.repeat(2100) } }), 'metadata', 'must be a JSON object of at most 4096 bytes (UTF-8)');
    refused(await call('POST', '/v1/keys', { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', metadata: { a: '✓'.repeat(1400) } }), 'metadata');
    const fits = await call('PATCH', `/v1/keys/${keyId}`, { metadata: { a: 'é'.repeat(2000) } });
    assert.equal(fits.status, 200, fits.text);
  });

  it('tells the owner of an expired key to create a new one (rotating it is refused too)', async () => {
    const { keyId } = await newKey({ expiresAt: new Date(Date.now() + 1200).toISOString() });
    await new Promise((r) => setTimeout(r, 1400));
    const patch = await call('PATCH', `/v1/keys/${keyId}`, { expiresAt: null });
    assert.equal(patch.status, 409, patch.text);
    assert.ok(patch.body.type.endsWith('/key-expired'));
    assert.match(patch.body.detail, /create a new key/);
    assert.doesNotMatch(patch.body.detail, /rotate to/);
    assert.equal((await call('POST', `/v1/keys/${keyId}/rotate`, {})).status, 409);
  });

  it('allowedCidrs: zone ids, host bits and padding are refused naming the field; an IPv4-mapped prefix is stored as IPv4 and matches', async () => {
    const { keyId } = await newKey();
    // Over HTTP the field is named (the message is the validation pipe's to pick; key.dto.spec.ts
    // checks what the DTO says, and the service's own messages are checked below).
    refused(await call('PATCH', `/v1/keys/${keyId}`, { allowedCidrs: ['fe80::1%eth0'] }), 'allowedCidrs');
    refused(await call('PATCH', `/v1/keys/${keyId}`, { allowedCidrs: ['127.0.0.1', '10.0.0.1/24'] }), 'allowedCidrs');
    refused(await call('POST', '/v1/keys', { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', allowedCidrs: [' 10.0.0.1'] }), 'allowedCidrs');
    refused(await call('PATCH', `/v1/keys/${keyId}`, { allowedCidrs: ['10.0.0.1 '] }), 'allowedCidrs');
    assert.equal((await call('GET', `/v1/keys/${keyId}`)).body.allowedCidrs, null);

    const mapped = await call('PATCH', `/v1/keys/${keyId}`, { allowedCidrs: ['::ffff:127.0.0.0/104', '::ffff:10.0.0.1', '10.0.0.0/24'] });
    assert.equal(mapped.status, 200, mapped.text);
    assert.deepEqual(mapped.body.allowedCidrs, ['127.0.0.0/8', '10.0.0.1/32', '10.0.0.0/24']);
    // Client addresses are read as IPv4 (normalizeIp), so the mapped prefix must match them as one.
    const inside = await newKey({ scopes: ['keys:read'], allowedCidrs: ['::ffff:127.0.0.0/104'] });
    assert.equal((await callApi(api.url, 'GET', `/v1/keys/${inside.keyId}`, inside.key)).status, 200);
    const outside = await newKey({ scopes: ['keys:read'], allowedCidrs: ['::ffff:10.0.0.0/104'] });
    const fenced = await callApi(api.url, 'GET', `/v1/keys/${outside.keyId}`, outside.key);
    assert.equal(fenced.status, 403, fenced.text);
    assert.ok(fenced.body.type.endsWith('/ip-not-allowed'));
    // The service (the CLI's --cidrs) names the entry.
    const svc = api.app.get(ApiKeysService);
    await assert.rejects(svc.patch(keyId, { allowedCidrs: ['10.0.0.0/8', 'fe80::1%eth0'] }, { label: 'cli' }), (err) => {
      const errors = (err as ProblemException).problem.extensions!.errors as { field: string; message: string }[];
      return errors.length === 1 && errors[0].field === 'allowedCidrs.1' && /zone id/.test(errors[0].message);
    });
    const cliErrors = async (allowedCidrs: string[]) => {
      try {
        await svc.create({ name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', allowedCidrs }, { label: 'cli' });
      } catch (err) {
        return (err as ProblemException).problem.extensions!.errors;
      }
      assert.fail(`${allowedCidrs.join()} was accepted`);
    };
    assert.deepEqual(await cliErrors(['192.168.1.7/16', ' 10.0.0.1', '::1']), [
      { field: 'allowedCidrs.0', message: 'has bits set past the /16 prefix: write 192.168.0.0/16 for the network, or 192.168.1.7 for the one address' },
      { field: 'allowedCidrs.1', message: 'must not have spaces around it' },
    ]);
  });

  it('rotates a key whose stored allow list predates the rules (a zone id), copying the address it matched; never a 500', async () => {
    const k = await newKey({ allowedCidrs: ['fe80::1'] });
    // As a key created before zone ids were refused holds it.
    await api.app.get(DataSource).query(`UPDATE api_keys SET allowed_cidrs = '{fe80::1%eth0/128}' WHERE key_id = $1`, [k.keyId]);
    api.app.get(KeyCacheService).evict(k.keyId);
    const rotated = await call('POST', `/v1/keys/${k.keyId}/rotate`, {});
    assert.equal(rotated.status, 201, rotated.text);
    assert.deepEqual(rotated.body.allowedCidrs, ['fe80::1/128']);
  });
});
