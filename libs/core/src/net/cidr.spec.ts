import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, normalizeIp, parseCidr, parseCidrList, resolveClientIp } from './cidr';

describe('CIDR matching', () => {
  it('matches IPv4 and IPv6 ranges and rejects malformed ones', () => {
    assert.ok(cidrContains(parseCidr('10.0.0.0/8')!, '10.200.3.4'));
    assert.ok(!cidrContains(parseCidr('10.0.0.0/8')!, '11.0.0.1'));
    assert.ok(cidrContains(parseCidr('2001:db8::/32')!, '2001:db8:1::5'));
    assert.ok(!cidrContains(parseCidr('2001:db8::/32')!, '2001:db9::1'));
    assert.ok(cidrContains(parseCidr('::1')!, '::1'));
    assert.ok(cidrContains(parseCidr('0.0.0.0/0')!, '203.0.113.9'));
    for (const bad of ['10.0.0.0/33', '1.2.3', 'x/8', '::/129', '10.0.0.0/8/1', '']) assert.equal(parseCidr(bad), null, bad);
  });

  it('treats IPv4-mapped IPv6 addresses as IPv4', () => {
    assert.equal(normalizeIp('::ffff:192.168.1.10'), '192.168.1.10');
    assert.ok(cidrContains(parseCidr('192.168.1.0/24')!, '::ffff:192.168.1.10'));
  });

  it('believes X-Forwarded-For only from trusted proxies', () => {
    const trusted = parseCidrList('10.0.0.0/8');
    assert.equal(resolveClientIp('203.0.113.7', '1.1.1.1', trusted), '203.0.113.7', 'untrusted peer: header ignored');
    assert.equal(resolveClientIp('10.0.0.2', '198.51.100.4', trusted), '198.51.100.4');
    assert.equal(resolveClientIp('10.0.0.2', '6.6.6.6, 198.51.100.4, 10.0.0.9', trusted), '198.51.100.4', 'right-most untrusted hop wins');
    assert.equal(resolveClientIp('::ffff:10.0.0.2', '198.51.100.4', trusted), '198.51.100.4');
    assert.equal(resolveClientIp('10.0.0.2', 'garbage', trusted), '10.0.0.2');
    assert.equal(resolveClientIp('10.0.0.2', '198.51.100.4', []), '10.0.0.2', 'no trusted proxies configured');
  });
});
