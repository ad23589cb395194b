import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubSecrets, scrubText } from './redact';

describe('log redaction', () => {
  it('censors secret-looking fields at any depth but keeps ids', () => {
    const out = scrubSecrets({
      keyId: 'abc123def456',
      headers: { authorization: 'Bearer x', 'x-api-key': 'y', cookie: 'c' },
      partner: { clientSecret: 's3cr3t', nested: { refresh_token: 'Atzr|1', password: 'p' } },
      fields: { apiKey: 'k' },
    }) as any;
    assert.equal(out.keyId, 'abc123def456');
    assert.equal(out.headers.authorization, '[redacted]');
    assert.equal(out.headers['x-api-key'], '[redacted]');
    assert.equal(out.headers.cookie, '[redacted]');
    assert.equal(out.partner.clientSecret, '[redacted]');
    assert.equal(out.partner.nested.refresh_token, '[redacted]');
    assert.equal(out.partner.nested.password, '[redacted]');
    assert.equal(out.fields, '[redacted]');
    assert.doesNotMatch(JSON.stringify(out), /s3cr3t|Atzr/);
  });

  it('cuts hub API keys out of free text', () => {
    const key = 'nsk_live_AbCdEfGhIjKl_' + 'Z'.repeat(38);
    const text = scrubText(`bad header Bearer ${key} seen`);
    assert.doesNotMatch(text, /Z{10}/);
    assert.match(text, /nsk_live_AbCdEfGhIjKl_/);
  });
});
