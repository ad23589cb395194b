import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreConfig } from './core.config';
import { ConfigValidationError, describeConfig, loadConfig } from './config.loader';

const base = { HUB_MASTER_KEYS: 'v1:' + Buffer.alloc(32, 7).toString('base64'), API_KEY_PEPPER: 'v1:0123456789abcdef0123' };

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const cfg = loadConfig(CoreConfig, { ...base, PORT: '8080' });
    assert.equal(cfg.PORT, 8080);
    assert.equal(cfg.BODY_LIMIT_BYTES, 1024 * 1024);
    assert.equal(cfg.REDIS_URL, 'redis://127.0.0.1:6379');
  });

  it('names every bad variable and never prints a sensitive value', () => {
    let err: ConfigValidationError | undefined;
    try {
      loadConfig(CoreConfig, { DATABASE_URL: 'mysql://user:hunter2@db/x', PORT: 'eighty', HUB_MASTER_KEYS: 'v1:short', API_KEY_PEPPER: 'v1:pepper-secret-value!!' });
    } catch (e) {
      err = e as ConfigValidationError;
    }
    assert.ok(err instanceof ConfigValidationError);
    const vars = err.problems.map((p) => p.variable).sort();
    assert.deepEqual(vars, ['DATABASE_URL', 'HUB_MASTER_KEYS', 'PORT']);
    assert.doesNotMatch(err.message, /hunter2|short/);
  });

  it('reports a missing required secret as required', () => {
    assert.throws(() => loadConfig(CoreConfig, { API_KEY_PEPPER: base.API_KEY_PEPPER }), /HUB_MASTER_KEYS: is required/);
  });

  it('refuses the public example secrets from .env.example in production, naming each variable and not the value', () => {
    const example = { HUB_MASTER_KEYS: 'v1:ZmFrZS1kZXYtbWFzdGVyLWtleS0wMDAwMDAwMDAwMDA=', API_KEY_PEPPER: 'v1:fake-dev-pepper-change-me-0000000000' };
    assert.doesNotThrow(() => loadConfig(CoreConfig, { ...example, NODE_ENV: 'development' }));
    let err: ConfigValidationError | undefined;
    try {
      loadConfig(CoreConfig, { ...example, HUB_MASTER_KEYS: `${base.HUB_MASTER_KEYS.replace('v1', 'v2')},${example.HUB_MASTER_KEYS}`, NODE_ENV: 'production' });
    } catch (e) {
      err = e as ConfigValidationError;
    }
    assert.ok(err instanceof ConfigValidationError);
    assert.deepEqual(err.problems.map((p) => p.variable).sort(), ['API_KEY_PEPPER', 'HUB_MASTER_KEYS']);
    assert.match(err.message, /public example value/);
    assert.doesNotMatch(err.message, /fake-dev-pepper|ZmFrZS1k/);
    assert.doesNotThrow(() => loadConfig(CoreConfig, { ...base, NODE_ENV: 'production' }));
  });

  it('masks sensitive values when describing the config', () => {
    const cfg = loadConfig(CoreConfig, base);
    const d = describeConfig(CoreConfig, cfg);
    assert.equal(d.API_KEY_PEPPER, '[redacted]');
    assert.equal(d.DATABASE_URL, '[redacted]');
    assert.equal(d.PORT, 3000);
  });
});
