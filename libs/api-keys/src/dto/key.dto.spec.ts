import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { ProblemException, toDate } from '@hub/core';
import { AuditQueryDto, CreateKeyDto, PatchKeyDto, RevokeKeyDto, RotateKeyDto, TIMESTAMP_RULE, TimeWindowQuery, UsageQueryDto } from './key.dto';

type FieldError = { field: string; message: string };

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => ({ field, message: m.startsWith(e.property + ' ') ? m.slice(e.property.length + 1) : m }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Every constraint message for `value` read as `metatype` ([] when it passes): what the DTO's own
 * decorators say, before the api's validation pipe picks which of them to show.
 */
async function errorsFor(metatype: new () => object, value: unknown): Promise<FieldError[]> {
  return flatten(await validate(plainToInstance(metatype, value) as object, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

/** What the handler receives (transforms applied). */
const transformed = <T>(metatype: new () => T, value: unknown): T => plainToInstance(metatype, value);

describe('key DTOs', () => {
  it('read every date with parseTimestamp: years 0001-0099, lowercase t and z, and one message for every refusal, the one toDate gives', async () => {
    let toDateMessage = '';
    try {
      toDate('from', 'x');
    } catch (err) {
      toDateMessage = ((err as ProblemException).problem.extensions!.errors as FieldError[])[0].message;
    }
    assert.equal(toDateMessage, TIMESTAMP_RULE);

    const dates: [new () => object, string][] = [
      [CreateKeyDto, 'expiresAt'],
      [PatchKeyDto, 'expiresAt'],
      [RotateKeyDto, 'expiresAt'],
      [TimeWindowQuery, 'from'],
      [UsageQueryDto, 'to'],
      [AuditQueryDto, 'from'],
      [AuditQueryDto, 'to'],
    ];
    const base = (metatype: new () => object) => (metatype === CreateKeyDto ? { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free' } : {});
    for (const [metatype, field] of dates) {
      for (const ok of ['0050-01-01', '0001-01-01T00:00:00Z', '2099-01-01t10:00:00z', '2099-01-01 10:00', '9999-12-31T23:59:59.999Z']) {
        assert.deepEqual(await errorsFor(metatype, { ...base(metatype), [field]: ok }), [], `${metatype.name}.${field} = ${ok}`);
      }
      for (const bad of ['x', '2020-W01', '2020-100', '20200101', '2020-02-30', '0000-01-01', '2020-01-01T24:00:00Z', ' 2020-01-01', 5, ['2020-01-01']]) {
        assert.deepEqual(await errorsFor(metatype, { ...base(metatype), [field]: bad }), [{ field, message: TIMESTAMP_RULE }], `${metatype.name}.${field} = ${JSON.stringify(bad)}`);
      }
    }
  });

  it('refuses null for a PATCH field that has none, and keeps null where it means something', async () => {
    for (const field of ['metadata', 'name', 'scopes', 'tier']) {
      const errors = await errorsFor(PatchKeyDto, { [field]: null });
      assert.ok(errors.length && errors.every((e) => e.field === field), `${field}: ${JSON.stringify(errors)}`);
    }
    assert.deepEqual(await errorsFor(PatchKeyDto, { metadata: null }), [{ field: 'metadata', message: 'must be an object' }]);
    const fields = (errors: FieldError[]) => [...new Set(errors.map((e) => e.field))];
    assert.deepEqual(fields(await errorsFor(PatchKeyDto, { limits: { burstPerSecond: null } })), ['limits.burstPerSecond']);
    assert.deepEqual(fields(await errorsFor(CreateKeyDto, { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', metadata: null })), ['metadata']);
    // null: never expires, back to the tier's limits, no quota, every channel, any address, no application.
    for (const body of [{ expiresAt: null }, { limits: null }, { limits: { quota: null } }, { channels: null }, { allowedCidrs: null }, { application: null }]) {
      assert.deepEqual(await errorsFor(PatchKeyDto, body), [], JSON.stringify(body));
    }
    // Absent is still absent.
    assert.deepEqual(await errorsFor(PatchKeyDto, {}), []);
  });

  it('measures metadata in UTF-8 bytes, as stored and sent', async () => {
    // 2,100 characters of JSON text but 4,208 bytes.
    const errors = await errorsFor(PatchKeyDto, { metadata: { a: 'é'.repeat(2100) } });
    assert.deepEqual(errors, [{ field: 'metadata', message: 'must be a JSON object of at most 4096 bytes (UTF-8)' }]);
    assert.deepEqual(await errorsFor(PatchKeyDto, { metadata: { a: 'e'.repeat(4000) } }), []);
    assert.deepEqual(await errorsFor(PatchKeyDto, { metadata: { a: 'é'.repeat(2000) } }), []);
  });

  it('trims a revocation reason and refuses a blank one, with one message', async () => {
    const rule = 'must be 1 to 500 characters, not blank';
    for (const reason of ['', '   ', '\t\n', 'x'.repeat(501)]) assert.deepEqual(await errorsFor(RevokeKeyDto, { reason }), [{ field: 'reason', message: rule }], JSON.stringify(reason));
    assert.equal(transformed(RevokeKeyDto, { reason: '  leaked in CI  ' }).reason, 'leaked in CI');
    assert.equal(transformed(RevokeKeyDto, { reason: ` ${'x'.repeat(500)} ` }).reason.length, 500);
    assert.deepEqual([...new Set((await errorsFor(RevokeKeyDto, {})).map((e) => e.field))], ['reason']);
  });

  it('names the first refused allowedCidrs entry and why', async () => {
    const cidrError = async (list: unknown[]) => (await errorsFor(CreateKeyDto, { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free', allowedCidrs: list }))[0];
    assert.deepEqual(await cidrError(['10.0.0.0/8', '10.0.0.1/24']), {
      field: 'allowedCidrs',
      message: 'entry 1 has bits set past the /24 prefix: write 10.0.0.0/24 for the network, or 10.0.0.1 for the one address',
    });
    assert.match((await cidrError(['fe80::1%eth0'])).message, /^entry 0 must not carry a zone id/);
    assert.equal((await cidrError([' 10.0.0.1'])).message, 'entry 0 must not have spaces around it');
    assert.equal((await cidrError(['nope'])).message, 'entry 0 must be an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32');
    assert.equal(await cidrError(['::ffff:10.0.0.0/104', '10.0.0.1', '2001:db8::/32']), undefined);
  });
});
