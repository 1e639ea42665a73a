// Containment: an approval keeps only what it contains. Properties over generated rules (fast-check, fixed seed),
// and edge cases for every source kind and the port edges 0, 65535 and -1 (all).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrWithin, contains, parseCidr, type ApprovedRule } from '../src/contain.js';
import type { GroupRule } from '../src/types.js';

const rule = (r: Partial<GroupRule>): GroupRule => ({
  ruleId: 'sgr-1',
  isEgress: false,
  ipProtocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  ...r,
});
const approved = (a: Partial<ApprovedRule>): ApprovedRule => ({
  direction: 'ingress',
  protocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  source: '203.0.113.0/24',
  ...a,
});

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const v4Num = (s: string) => s.split('.').reduce((n, p) => n * 256 + Number(p), 0);

describe('CIDRs', () => {
  it('parses IPv4 and IPv6 (with ::) and refuses the rest', () => {
    expect(parseCidr('203.0.113.0/24')).toEqual({ addr: '203.0.113.0', prefix: 24, family: 'ipv4' });
    expect(parseCidr('::/0')).toEqual({ addr: '::', prefix: 0, family: 'ipv6' });
    expect(parseCidr('2001:db8::/32')?.family).toBe('ipv6');
    for (const bad of [
      '203.0.113.0',
      '256.0.0.0/8',
      '1.2.3.4/33',
      '2001:db8::/129',
      '1::2::3/64',
      'pl-123/8',
      '1.2.3/24',
      '2001:db8:1:2:3:4:5:6:7/64',
      '1.2.3.0/',
      '1.2.3.0/24/1',
      'fe80::1%eth0/64',
      '1.2.3.0/024x',
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });

  it('within: same family, longer or equal prefix, same network', () => {
    expect(cidrWithin('203.0.113.0/25', '203.0.113.0/24')).toBe(true);
    expect(cidrWithin('203.0.113.128/25', '203.0.113.0/24')).toBe(true);
    expect(cidrWithin('203.0.113.0/24', '203.0.113.0/25')).toBe(false);
    expect(cidrWithin('203.0.114.0/25', '203.0.113.0/24')).toBe(false);
    expect(cidrWithin('0.0.0.0/0', '0.0.0.0/0')).toBe(true);
    expect(cidrWithin('10.0.0.1/32', '0.0.0.0/0')).toBe(true);
    expect(cidrWithin('2001:db8:1::/48', '2001:db8::/32')).toBe(true);
    expect(cidrWithin('2001:db9::/48', '2001:db8::/32')).toBe(false);
    expect(cidrWithin('::/0', '0.0.0.0/0')).toBe(false);
    expect(cidrWithin('0.0.0.0/0', '::/0')).toBe(false);
  });
});

describe('contains: edges', () => {
  it('every source kind: IPv4, IPv6, prefix list, group', () => {
    expect(contains(approved({}), rule({ cidrIpv4: '203.0.113.0/25' }))).toBe(true);
    expect(contains(approved({}), rule({ cidrIpv4: '0.0.0.0/0' }))).toBe(false);
    expect(contains(approved({ source: '2001:db8::/32' }), rule({ cidrIpv6: '2001:db8:ab::/64' }))).toBe(true);
    expect(contains(approved({ source: '2001:db8::/32' }), rule({ cidrIpv6: '::/0' }))).toBe(false);
    expect(contains(approved({ source: '203.0.113.0/24' }), rule({ cidrIpv6: '::/0' }))).toBe(false);
    expect(contains(approved({ source: 'pl-0abc1234' }), rule({ prefixListId: 'pl-0abc1234' }))).toBe(true);
    expect(contains(approved({ source: 'pl-0abc1234' }), rule({ prefixListId: 'pl-0abc9999' }))).toBe(false);
    expect(
      contains(approved({ source: 'sg-0123456789abcdef0' }), rule({ referencedGroupId: 'sg-0123456789abcdef0' })),
    ).toBe(true);
    expect(
      contains(approved({ source: 'sg-0123456789abcdef0' }), rule({ referencedGroupId: 'sg-0fedcba9876543210' })),
    ).toBe(false);
    expect(contains(approved({}), rule({}))).toBe(false); // no source at all
  });

  it('direction and protocol must match; all (-1) contains every protocol but is contained only by all', () => {
    expect(contains(approved({}), rule({ isEgress: true, cidrIpv4: '203.0.113.0/25' }))).toBe(false);
    expect(contains(approved({ direction: 'egress' }), rule({ isEgress: true, cidrIpv4: '203.0.113.0/25' }))).toBe(
      true,
    );
    expect(contains(approved({}), rule({ ipProtocol: 'udp', cidrIpv4: '203.0.113.0/25' }))).toBe(false);
    expect(contains(approved({}), rule({ ipProtocol: '6', cidrIpv4: '203.0.113.0/25' }))).toBe(true);
    const all = approved({ protocol: '-1', fromPort: -1, toPort: -1 });
    expect(contains(all, rule({ cidrIpv4: '203.0.113.0/25' }))).toBe(true);
    expect(contains(all, rule({ ipProtocol: '-1', fromPort: -1, toPort: -1, cidrIpv4: '203.0.113.9/32' }))).toBe(true);
    expect(
      contains(
        approved({ fromPort: 0, toPort: 65535 }),
        rule({ ipProtocol: '-1', fromPort: -1, toPort: -1, cidrIpv4: '203.0.113.9/32' }),
      ),
    ).toBe(false);
    expect(
      contains(approved({ fromPort: 0, toPort: 65535 }), rule({ ipProtocol: '50', cidrIpv4: '203.0.113.9/32' })),
    ).toBe(false);
    expect(
      contains(all, rule({ ipProtocol: '50', fromPort: undefined, toPort: undefined, cidrIpv4: '203.0.113.9/32' })),
    ).toBe(true);
  });

  it('port edges 0 and 65535, ranges, and -1 in a tcp rule', () => {
    const src = { cidrIpv4: '203.0.113.1/32' };
    const full = approved({ fromPort: 0, toPort: 65535 });
    expect(contains(full, rule({ ...src, fromPort: 0, toPort: 0 }))).toBe(true);
    expect(contains(full, rule({ ...src, fromPort: 65535, toPort: 65535 }))).toBe(true);
    expect(contains(full, rule({ ...src, fromPort: 0, toPort: 65535 }))).toBe(true);
    expect(contains(approved({ fromPort: 1, toPort: 65535 }), rule({ ...src, fromPort: 0, toPort: 0 }))).toBe(false);
    expect(contains(approved({ fromPort: 0, toPort: 65534 }), rule({ ...src, fromPort: 65535, toPort: 65535 }))).toBe(
      false,
    );
    expect(contains(approved({ fromPort: 8000, toPort: 8080 }), rule({ ...src, fromPort: 8000, toPort: 8081 }))).toBe(
      false,
    );
    expect(contains(approved({ fromPort: -1, toPort: -1 }), rule({ ...src, fromPort: 443, toPort: 443 }))).toBe(false);
    expect(contains(full, rule({ ...src, fromPort: undefined, toPort: undefined }))).toBe(false);
  });

  it('ICMP: type and code, -1 for any', () => {
    const src = { ipProtocol: 'icmp', cidrIpv4: '203.0.113.1/32' };
    expect(
      contains(approved({ protocol: 'icmp', fromPort: 8, toPort: -1 }), rule({ ...src, fromPort: 8, toPort: 0 })),
    ).toBe(true);
    expect(
      contains(approved({ protocol: 'icmp', fromPort: 8, toPort: -1 }), rule({ ...src, fromPort: 3, toPort: 4 })),
    ).toBe(false);
    expect(
      contains(approved({ protocol: 'icmp', fromPort: -1, toPort: -1 }), rule({ ...src, fromPort: -1, toPort: -1 })),
    ).toBe(true);
    expect(
      contains(approved({ protocol: 'icmp', fromPort: 8, toPort: 0 }), rule({ ...src, fromPort: -1, toPort: -1 })),
    ).toBe(false);
    expect(
      contains(approved({ protocol: 'icmpv6', fromPort: -1, toPort: -1 }), rule({ ...src, fromPort: 8, toPort: 0 })),
    ).toBe(false);
  });
});

describe('contains: properties', () => {
  const port = fc.integer({ min: 0, max: 65535 });
  const range = fc.tuple(port, port).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));
  const cidr4 = fc
    .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }))
    .map(([n, p]) => `${v4(n)}/${p}`);
  const protocol = fc.constantFrom('tcp', 'udp', '6', '17', '-1', 'icmp');
  const params = { seed: 1207, numRuns: 400 };

  it('never keeps a rule it does not contain (checked against an independent model)', () => {
    fc.assert(
      fc.property(range, cidr4, protocol, range, cidr4, fc.boolean(), (ar, asrc, p, rr, rsrc, egress) => {
        const a = approved({ fromPort: ar[0], toPort: ar[1], source: asrc, direction: egress ? 'egress' : 'ingress' });
        const r = rule({ ipProtocol: p, fromPort: rr[0], toPort: rr[1], cidrIpv4: rsrc });
        const [an, ap] = [v4Num(asrc.split('/')[0]!), Number(asrc.split('/')[1])];
        const [rn, rp] = [v4Num(rsrc.split('/')[0]!), Number(rsrc.split('/')[1])];
        const block = (n: number, bits: number) => (bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)));
        const sourceIn = rp >= ap && block(rn, ap) === block(an, ap);
        const normal = ({ 6: 'tcp', 17: 'udp' } as Record<string, string>)[p] ?? p;
        const model = egress === r.isEgress && normal === 'tcp' && rr[0] >= ar[0] && rr[1] <= ar[1] && sourceIn;
        expect(contains(a, r)).toBe(model);
      }),
      params,
    );
  });

  it('is monotone: what a narrower approval contains, a wider one contains too', () => {
    fc.assert(
      fc.property(range, cidr4, range, fc.integer({ min: 0, max: 32 }), (ar, rsrc, rr, widen) => {
        const r = rule({ fromPort: rr[0], toPort: rr[1], cidrIpv4: rsrc });
        const [addr, len] = rsrc.split('/') as [string, string];
        const wider = Math.min(Number(len), widen);
        const mask = wider === 0 ? 0 : Math.floor(v4Num(addr) / 2 ** (32 - wider)) * 2 ** (32 - wider);
        const narrow = approved({ fromPort: ar[0], toPort: ar[1], source: rsrc });
        const wide = approved({
          fromPort: Math.min(ar[0], rr[0]),
          toPort: Math.max(ar[1], rr[1]),
          source: `${v4(mask)}/${wider}`,
        });
        if (contains(narrow, r)) expect(contains(wide, r)).toBe(true);
        expect(contains(wide, r)).toBe(true);
      }),
      params,
    );
  });

  it('IPv6: a rule is contained exactly when its network lies inside the approved one', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const v6 = fc
      .tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }))
      .map(([g, p]) => ({
        text: `${g.map((x) => x.toString(16)).join(':')}/${p}`,
        value: g.reduce((n, x) => (n << 16n) | BigInt(x), 0n),
        p,
      }));
    fc.assert(
      fc.property(v6, v6, (a, r) => {
        const shift = BigInt(128 - a.p);
        const model = r.p >= a.p && r.value >> shift === a.value >> shift;
        expect(contains(approved({ source: a.text }), rule({ cidrIpv6: r.text }))).toBe(model);
      }),
      params,
    );
  });
});
