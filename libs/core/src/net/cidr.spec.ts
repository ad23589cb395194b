import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CIDR_RULE, cidrContains, cidrInputProblem, normalizeIp, parseCidr, parseCidrList, resolveClientIp } from './cidr';

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

  it('reads an IPv4-mapped prefix, in any spelling, as the IPv4 network it maps', () => {
    const mapped = parseCidr('::ffff:10.0.0.0/104')!;
    assert.deepEqual([mapped.family, mapped.bits, mapped.text], [4, 8, '10.0.0.0/8']);
    assert.ok(cidrContains(mapped, '10.1.2.3'));
    assert.ok(cidrContains(mapped, '::ffff:10.1.2.3'), 'a dual-stack client address');
    assert.ok(!cidrContains(mapped, '11.0.0.1'));
    assert.equal(parseCidr('::ffff:10.0.0.1')!.text, '10.0.0.1/32');
    assert.equal(parseCidr('::FFFF:a00:1')!.text, '10.0.0.1/32');
    assert.equal(parseCidr('0:0:0:0:0:ffff:c000:200/120')!.text, '192.0.2.0/24');
    const all = parseCidr('::ffff:10.0.0.0/96')!;
    assert.deepEqual([all.family, all.bits, all.network], [4, 0, 0n]);
    assert.equal(cidrInputProblem('::ffff:10.0.0.0/104'), null);
  });

  it('reads a value stored before the zone and padding rules as the address it matched then', () => {
    assert.equal(parseCidr('fe80::1%eth0/128')?.text, 'fe80::1/128');
    assert.equal(parseCidr(' 10.0.0.1/32')?.text, '10.0.0.1/32');
    assert.ok(cidrContains(parseCidr('fe80::1%eth0/128')!, 'fe80::1'));
  });

  it('refuses zone ids and surrounding spaces, naming the reason', () => {
    // (parseCidr reads stored values, which may predate these rules: see the test above.)
    for (const bad of ['fe80::1%eth0', 'fe80::1%eth0/64', 'fe80::1%1']) assert.match(cidrInputProblem(bad)!, /zone id/, bad);
    for (const bad of [' 10.0.0.1', '10.0.0.1 ', '10.0.0.0/8\n', '\t::1']) {
      assert.equal(cidrInputProblem(bad), 'must not have spaces around it', JSON.stringify(bad));
    }
    assert.equal(cidrInputProblem('10.0.0.1 /24'), CIDR_RULE);
    assert.equal(cidrInputProblem(42), CIDR_RULE);
    // TRUSTED_PROXIES is a comma list with optional spaces: each entry is trimmed before it is read.
    assert.deepEqual(parseCidrList(' 10.0.0.0/8 , ::1 ').map((c) => c.text), ['10.0.0.0/8', '::1/128']);
    assert.throws(() => parseCidrList('10.0.0.0/8,fe80::1%eth0'), /invalid CIDR fe80::1%eth0/);
  });

  it('refuses host bits in what a client writes, naming the network; masks them in what is already stored', () => {
    assert.equal(cidrInputProblem('10.0.0.1/24'), 'has bits set past the /24 prefix: write 10.0.0.0/24 for the network, or 10.0.0.1 for the one address');
    assert.equal(cidrInputProblem('127.0.0.0/7'), 'has bits set past the /7 prefix: write 126.0.0.0/7 for the network, or 127.0.0.0 for the one address');
    assert.equal(cidrInputProblem('2001:db8::1/32'), 'has bits set past the /32 prefix: write 2001:db8::/32 for the network, or 2001:db8::1 for the one address');
    assert.equal(cidrInputProblem('2001:db8:0:1:0:0:0:1/64'), 'has bits set past the /64 prefix: write 2001:db8:0:1::/64 for the network, or 2001:db8:0:1:0:0:0:1 for the one address');
    assert.match(cidrInputProblem('::ffff:10.0.0.1/104')!, /write 10\.0\.0\.0\/8 for the network, or 10\.0\.0\.1 for/);
    for (const ok of ['10.0.0.0/24', '10.0.0.1', '10.0.0.1/32', '0.0.0.0/0', '::/0', '::1', '2001:db8::/32']) assert.equal(cidrInputProblem(ok), null, ok);
    const legacy = parseCidr('10.0.0.1/24')!;
    assert.ok(cidrContains(legacy, '10.0.0.200') && !cidrContains(legacy, '10.0.1.1'));
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
