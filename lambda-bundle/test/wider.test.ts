// "Is it wider?": properties over generated definitions (fast-check, fixed seed) and the edges of every part.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessOf, compare, isWider, openToWorld, sameAccess, show, within } from '../src/wider.js';
import type { RuleDefinition } from '../src/types.js';

const SEED = { seed: 20_251_202, numRuns: 400 };

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
/** The network of `addr/prefix`, as a CIDR whose address is the network's first. */
const net4 = (addr: number, prefix: number) =>
  `${v4(prefix === 0 ? 0 : ((addr >>> (32 - prefix)) << (32 - prefix)) >>> 0)}/${prefix}`;
const hex = (n: number) => n.toString(16);
const net6 = (words: number[], prefix: number) => {
  const kept = words.map((w, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : (w >> (16 - bits)) << (16 - bits);
  });
  return `${kept.map(hex).join(':')}/${prefix}`;
};

const addr4 = fc.integer({ min: 0, max: 0xffffffff });
const cidr4 = fc.tuple(addr4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => net4(a, p));
const words6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
const cidr6 = fc.tuple(words6, fc.integer({ min: 0, max: 128 })).map(([w, p]) => net6(w, p));
const portRange = fc
  .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
const icmpPart = fc.integer({ min: -1, max: 255 });

const source = fc.oneof(
  cidr4.map((cidrIpv4): Partial<RuleDefinition> => ({ cidrIpv4 })),
  cidr6.map((cidrIpv6): Partial<RuleDefinition> => ({ cidrIpv6 })),
  fc.constantFrom('pl-0aaa', 'pl-0bbb').map((prefixListId): Partial<RuleDefinition> => ({ prefixListId })),
  fc
    .constantFrom('sg-0aaa', 'sg-0bbb')
    .map((referencedGroupId): Partial<RuleDefinition> => ({ referencedGroupId, referencedUserId: '111111111111' })),
);
const ports = fc.oneof(
  fc
    .tuple(fc.constantFrom('tcp', 'udp', '6', '17'), portRange)
    .map(([ipProtocol, [fromPort, toPort]]) => ({ ipProtocol, fromPort, toPort })),
  fc
    .tuple(fc.constantFrom('icmp', 'icmpv6', '1'), icmpPart, icmpPart)
    .map(([ipProtocol, fromPort, toPort]) => ({ ipProtocol, fromPort, toPort })),
  fc.constantFrom({ ipProtocol: '-1', fromPort: -1, toPort: -1 }, { ipProtocol: '-1' }, { ipProtocol: '50' }),
);
const definition: fc.Arbitrary<RuleDefinition> = fc
  .tuple(ports, source, fc.option(fc.string({ maxLength: 12 }), { nil: undefined }))
  .map(([p, s, description]) => ({ ...p, ...s, ...(description !== undefined ? { description } : {}) }));

const tcp = (fromPort: number, toPort: number, s: Partial<RuleDefinition>): RuleDefinition => ({
  ipProtocol: 'tcp',
  fromPort,
  toPort,
  ...s,
});

describe('is it wider: properties', () => {
  it('a rule is never wider than itself, nor than itself with another description', () => {
    fc.assert(
      fc.property(definition, fc.string({ maxLength: 8 }), (d, description) => {
        expect(isWider(d, d)).toBe(false);
        expect(isWider(d, { ...d, description })).toBe(false);
        expect(sameAccess(d, { ...d, description })).toBe(true);
      }),
      SEED,
    );
  });

  it('narrowing an IPv4 or IPv6 CIDR is never wider; widening it is, unless it stays the same network', () => {
    fc.assert(
      fc.property(addr4, fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 32 }), (a, p, q) => {
        const [wide, narrow] = [net4(a, Math.min(p, q)), net4(a, Math.max(p, q))];
        expect(isWider(tcp(22, 22, { cidrIpv4: wide }), tcp(22, 22, { cidrIpv4: narrow }))).toBe(false);
        expect(isWider(tcp(22, 22, { cidrIpv4: narrow }), tcp(22, 22, { cidrIpv4: wide }))).toBe(p !== q);
      }),
      SEED,
    );
    fc.assert(
      fc.property(words6, fc.integer({ min: 0, max: 128 }), fc.integer({ min: 0, max: 128 }), (w, p, q) => {
        const [wide, narrow] = [net6(w, Math.min(p, q)), net6(w, Math.max(p, q))];
        expect(isWider(tcp(22, 22, { cidrIpv6: wide }), tcp(22, 22, { cidrIpv6: narrow }))).toBe(false);
        expect(isWider(tcp(22, 22, { cidrIpv6: narrow }), tcp(22, 22, { cidrIpv6: wide }))).toBe(p !== q);
      }),
      SEED,
    );
  });

  it('narrowing a port range is never wider; reaching outside it is', () => {
    fc.assert(
      fc.property(portRange, portRange, (outer, inner) => {
        const inside = outer[0] <= inner[0] && inner[1] <= outer[1];
        expect(
          isWider(
            tcp(outer[0], outer[1], { cidrIpv4: '10.0.0.0/16' }),
            tcp(inner[0], inner[1], { cidrIpv4: '10.0.0.0/16' }),
          ),
        ).toBe(!inside);
      }),
      SEED,
    );
  });

  it('is transitive: within a within b within c means a within c', () => {
    fc.assert(
      fc.property(definition, definition, definition, (a, b, c) => {
        if (!isWider(c, b) && !isWider(b, a)) expect(isWider(c, a)).toBe(false);
      }),
      SEED,
    );
    // the same over definitions that share most parts, so the premise holds often
    const near = fc
      .tuple(fc.integer({ min: 0, max: 32 }), portRange)
      .map(([p, [f, t]]) => tcp(f, t, { cidrIpv4: net4(0x0a000000, p) }));
    fc.assert(
      fc.property(near, near, near, (a, b, c) => {
        if (!isWider(c, b) && !isWider(b, a)) expect(isWider(c, a)).toBe(false);
      }),
      SEED,
    );
  });

  it('IPv4 and IPv6 never contain each other, whatever the prefixes', () => {
    fc.assert(
      fc.property(cidr4, cidr6, (a, b) => {
        expect(isWider(tcp(0, 65535, { cidrIpv4: a }), tcp(22, 22, { cidrIpv6: b }))).toBe(true);
        expect(isWider(tcp(0, 65535, { cidrIpv6: b }), tcp(22, 22, { cidrIpv4: a }))).toBe(true);
      }),
      SEED,
    );
  });

  it('protocol -1 contains every protocol and port on the same source, and nothing else contains -1', () => {
    fc.assert(
      fc.property(definition, (d) => {
        const all = {
          ipProtocol: '-1',
          cidrIpv4: d.cidrIpv4,
          cidrIpv6: d.cidrIpv6,
          prefixListId: d.prefixListId,
          referencedGroupId: d.referencedGroupId,
          referencedUserId: d.referencedUserId,
        };
        expect(isWider(all, d)).toBe(false);
        expect(isWider(d, all)).toBe(accessOf(d)?.protocol !== '-1');
      }),
      SEED,
    );
  });

  it('a prefix list or a referenced group is within only the very same one', () => {
    fc.assert(
      fc.property(
        definition,
        fc.constantFrom('pl-0aaa', 'pl-0ccc'),
        fc.constantFrom('sg-0aaa', 'sg-0ccc'),
        (d, pl, sg) => {
          const base = { ipProtocol: '-1' };
          expect(
            isWider(
              { ...base, prefixListId: 'pl-0aaa' },
              {
                ...d,
                cidrIpv4: undefined,
                cidrIpv6: undefined,
                referencedGroupId: undefined,
                referencedUserId: undefined,
                prefixListId: pl,
              },
            ),
          ).toBe(pl !== 'pl-0aaa');
          expect(
            isWider(
              { ...base, referencedGroupId: 'sg-0aaa' },
              { ...d, cidrIpv4: undefined, cidrIpv6: undefined, prefixListId: undefined, referencedGroupId: sg },
            ),
          ).toBe(sg !== 'sg-0aaa');
        },
      ),
      SEED,
    );
  });
});

describe('is it wider: edges', () => {
  const from16 = tcp(5432, 5432, { cidrIpv4: '10.0.0.0/16' });

  it("the issue's cases: a widening, a narrowing, a description edit", () => {
    expect(compare(from16, tcp(5432, 5432, { cidrIpv4: '0.0.0.0/0' }))).toEqual({
      wider: true,
      reason: 'wider than before (tcp/5432 10.0.0.0/16 → tcp/5432 0.0.0.0/0)',
    });
    expect(compare(tcp(5432, 5432, { cidrIpv4: '0.0.0.0/0' }), tcp(5432, 5432, { cidrIpv4: '10.20.0.0/16' }))).toEqual({
      wider: false,
      reason: 'narrower than before (tcp/5432 0.0.0.0/0 → tcp/5432 10.20.0.0/16)',
    });
    expect(compare(from16, { ...from16, description: 'db from the VPC' })).toEqual({
      wider: false,
      reason: 'description only',
    });
    expect(compare(from16, { ...from16 })).toEqual({ wider: false, reason: 'no change' });
  });

  it('ports: 0 and 65535 at the edges, -1/-1 as every port, a bigger range is wider', () => {
    expect(isWider(tcp(0, 65535, { cidrIpv4: '10.0.0.0/8' }), tcp(0, 0, { cidrIpv4: '10.0.0.0/8' }))).toBe(false);
    expect(isWider(tcp(0, 65535, { cidrIpv4: '10.0.0.0/8' }), tcp(65535, 65535, { cidrIpv4: '10.0.0.0/8' }))).toBe(
      false,
    );
    expect(sameAccess(tcp(-1, -1, { cidrIpv4: '10.0.0.0/8' }), tcp(0, 65535, { cidrIpv4: '10.0.0.0/8' }))).toBe(true);
    expect(isWider(tcp(80, 443, { cidrIpv4: '10.0.0.0/8' }), tcp(79, 443, { cidrIpv4: '10.0.0.0/8' }))).toBe(true);
    expect(isWider(tcp(80, 443, { cidrIpv4: '10.0.0.0/8' }), tcp(80, 444, { cidrIpv4: '10.0.0.0/8' }))).toBe(true);
    // tcp and udp are different protocols, the names and numbers the same ones
    expect(
      isWider(tcp(53, 53, { cidrIpv4: '10.0.0.0/8' }), {
        ipProtocol: 'udp',
        fromPort: 53,
        toPort: 53,
        cidrIpv4: '10.0.0.0/8',
      }),
    ).toBe(true);
    expect(
      sameAccess(tcp(53, 53, { cidrIpv4: '10.0.0.0/8' }), {
        ipProtocol: '6',
        fromPort: 53,
        toPort: 53,
        cidrIpv4: '10.0.0.0/8',
      }),
    ).toBe(true);
  });

  it("ICMP: -1 is every type (and every code); a code of a type is within the type's -1", () => {
    const icmp = (fromPort: number, toPort: number): RuleDefinition => ({
      ipProtocol: 'icmp',
      fromPort,
      toPort,
      cidrIpv4: '0.0.0.0/0',
    });
    expect(isWider(icmp(-1, -1), icmp(8, 0))).toBe(false);
    expect(isWider(icmp(8, -1), icmp(8, 0))).toBe(false);
    expect(isWider(icmp(8, 0), icmp(8, -1))).toBe(true);
    expect(isWider(icmp(8, 0), icmp(-1, -1))).toBe(true);
    expect(isWider(icmp(8, -1), icmp(3, 4))).toBe(true);
    expect(isWider(icmp(8, 0), { ...icmp(8, 0), ipProtocol: 'icmpv6' })).toBe(true);
  });

  it('what cannot be read is wider, and never counts as a previous definition', () => {
    const good = tcp(22, 22, { cidrIpv4: '10.0.0.0/8' });
    for (const bad of [
      { ipProtocol: 'tcp', cidrIpv4: '10.0.0.0/8' }, // tcp without ports
      tcp(22, 22, {}), // no source
      tcp(22, 22, { cidrIpv4: '10.0.0.0/8', prefixListId: 'pl-0aaa' }), // two sources
      tcp(22, 22, { cidrIpv4: '2001:db8::/32' }), // an IPv6 CIDR as IPv4
      tcp(22, 22, { cidrIpv4: '10.0.0.0/33' }),
      tcp(23, 22, { cidrIpv4: '10.0.0.0/8' }),
      tcp(22, 70000, { cidrIpv4: '10.0.0.0/8' }),
      { ipProtocol: 'gopher', cidrIpv4: '10.0.0.0/8' },
      tcp(22, 22, { referencedGroupId: 'sg-0aaa', referencedUserId: 'me' }),
    ] as RuleDefinition[]) {
      expect(accessOf(bad), JSON.stringify(bad)).toBeUndefined();
      expect(isWider(good, bad)).toBe(true);
      expect(isWider(bad, good)).toBe(true);
    }
  });

  it('a referenced group of another account is another group', () => {
    const ref = (user?: string): RuleDefinition => ({
      ipProtocol: '-1',
      referencedGroupId: 'sg-0aaa',
      ...(user ? { referencedUserId: user } : {}),
    });
    expect(isWider(ref('111111111111'), ref('222222222222'))).toBe(true);
    expect(isWider(ref('111111111111'), ref())).toBe(false);
  });

  it('within and the helpers', () => {
    const a = accessOf(tcp(22, 22, { cidrIpv4: '10.1.0.0/16' }))!;
    const b = accessOf({ ipProtocol: '-1', cidrIpv4: '10.0.0.0/8' })!;
    expect(within(a, b)).toBe(true);
    expect(within(b, a)).toBe(false);
    expect(show({ ipProtocol: '-1', cidrIpv6: '::/0' })).toBe('all ::/0');
    expect(show(tcp(80, 443, { prefixListId: 'pl-0aaa' }))).toBe('tcp/80-443 pl-0aaa');
    expect(show({ ipProtocol: 'icmp', fromPort: 8, toPort: -1, referencedGroupId: 'sg-0aaa' })).toBe(
      'icmp/8:-1 sg-0aaa',
    );
    expect(openToWorld(tcp(22, 22, { cidrIpv4: '0.0.0.0/0' }))).toBe(true);
    expect(openToWorld(tcp(22, 22, { cidrIpv6: '::/0' }))).toBe(true);
    expect(openToWorld(tcp(22, 22, { cidrIpv4: '10.0.0.0/8' }))).toBe(false);
    expect(openToWorld(tcp(22, 22, { prefixListId: 'pl-0aaa' }))).toBe(false);
  });
});
