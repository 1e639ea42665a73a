// The approve command's RULE and duration syntax, and the approvals section of the configuration.
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/approvals/duration.js';
import { describeRule, parseRule } from '../../src/approvals/rule.js';
import { configFileSchema } from '../../src/config/schema.js';

describe('RULE', () => {
  it.each([
    [
      'tcp/443 203.0.113.0/24',
      { direction: 'ingress', protocol: 'tcp', fromPort: 443, toPort: 443, source: '203.0.113.0/24' },
    ],
    [
      'udp/8000-8080 2001:DB8::/32 egress',
      { direction: 'egress', protocol: 'udp', fromPort: 8000, toPort: 8080, source: '2001:db8::/32' },
    ],
    [
      'tcp/0-65535 pl-0123456789abcdef0',
      { direction: 'ingress', protocol: 'tcp', fromPort: 0, toPort: 65535, source: 'pl-0123456789abcdef0' },
    ],
    [
      'all sg-0123456789abcdef0',
      { direction: 'ingress', protocol: '-1', fromPort: -1, toPort: -1, source: 'sg-0123456789abcdef0' },
    ],
    ['all/-1 10.0.0.0/8', { direction: 'ingress', protocol: '-1', fromPort: -1, toPort: -1, source: '10.0.0.0/8' }],
    ['icmp/8 10.0.0.0/8', { direction: 'ingress', protocol: 'icmp', fromPort: 8, toPort: -1, source: '10.0.0.0/8' }],
    ['icmpv6 ::/0', { direction: 'ingress', protocol: 'icmpv6', fromPort: -1, toPort: -1, source: '::/0' }],
  ])('%s', (text, rule) => {
    expect(parseRule(text)).toEqual(rule);
  });

  it.each([
    ['tcp 203.0.113.0/24', /tcp needs a port/],
    ['tcp/65536 203.0.113.0/24', /ports must be 0-65535/],
    ['tcp/-1 203.0.113.0/24', /ports must be 0-65535/],
    ['tcp/90-80 203.0.113.0/24', /backwards/],
    ['all/443 203.0.113.0/24', /all takes no ports/],
    ['gre/1 203.0.113.0/24', /is not PROTOCOL/],
    ['tcp/443 203.0.113.0/33', /is not an IPv4 or IPv6 CIDR/],
    ['tcp/443 203.0.113.0', /is not an IPv4 or IPv6 CIDR/],
    ['tcp/443 1::2::3/64', /is not an IPv4 or IPv6 CIDR/],
    ['tcp/443 203.0.113.0/24 sideways', /direction must be ingress or egress/],
    ['tcp/443', /expected PROTOCOL/],
  ])('%s is refused', (text, message) => {
    expect(parseRule(text)).toMatch(message);
  });

  it('describes a rule as it reads', () => {
    expect(describeRule(parseRule('tcp/8000-8080 203.0.113.0/24 egress') as never)).toBe(
      'egress tcp/8000-8080 to 203.0.113.0/24',
    );
    expect(describeRule(parseRule('all 10.0.0.0/8') as never)).toBe('ingress all from 10.0.0.0/8');
  });
});

describe('durations', () => {
  it('minutes, hours and days; never 0', () => {
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('4h')).toBe(14_400);
    expect(parseDuration('7d')).toBe(604_800);
    for (const bad of ['0h', '0', '4', '1w', '-1h', '1.5h', '']) expect(parseDuration(bad), bad).toBeUndefined();
    expect(formatDuration(93_600)).toBe('1d 2h');
  });
});

describe('the approvals section', () => {
  it('takes the documented keys and refuses bad values', () => {
    expect(
      configFileSchema.safeParse({
        approvals: {
          enabled: true,
          account: '123456789012',
          region: 'eu-west-1',
          tableName: 'x-approvals',
          maxDuration: '2d',
          sweepMinutes: 10,
          onLookupError: 'keep',
        },
      }).success,
    ).toBe(true);
    for (const bad of [
      { maxDuration: '0d' },
      { sweepMinutes: 0 },
      { onLookupError: 'ignore' },
      { account: '123' },
      { region: 'mars-1' },
      { tableName: 'x' },
      { nope: 1 },
    ]) {
      expect(configFileSchema.safeParse({ approvals: bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
