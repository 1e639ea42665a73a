import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesPattern, parseEventPattern, wildcardMatch } from '../event-pattern.js';

const event = {
  version: '0',
  id: 'abc',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ec2',
  account: '111111111111',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    errorCode: undefined,
    readOnly: false,
    sourceIPAddress: '10.0.3.7',
    count: 5,
    nothing: null,
    tags: ['prod', 'web'],
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:assumed-role/Admin/alice' },
    items: [
      { cidrIp: '0.0.0.0/0', fromPort: 22 },
      { cidrIp: '10.0.0.0/8', fromPort: 443 },
    ],
    empty: '',
  },
};

const m = (pattern: unknown) => matchesPattern(pattern as Record<string, unknown>, event);

describe('event patterns', () => {
  it('matches exact values, ORed within an array and ANDed across keys', () => {
    expect(m({ source: ['aws.ec2'] })).toBe(true);
    expect(m({ source: ['aws.s3', 'aws.ec2'], 'detail-type': ['AWS API Call via CloudTrail'] })).toBe(true);
    expect(m({ source: ['aws.ec2'], 'detail-type': ['Other'] })).toBe(false);
    expect(m({ source: ['AWS.EC2'] })).toBe(false);
  });

  it('matches nested objects, and fails on missing fields', () => {
    expect(
      m({ detail: { eventName: ['AuthorizeSecurityGroupIngress'], userIdentity: { type: ['AssumedRole'] } } }),
    ).toBe(true);
    expect(m({ detail: { userIdentity: { type: ['IAMUser'] } } })).toBe(false);
    expect(m({ detail: { missing: ['x'] } })).toBe(false);
    expect(m({ nope: { deeper: ['x'] } })).toBe(false);
  });

  it('compares numbers, booleans, null and the empty string exactly', () => {
    expect(m({ detail: { count: [5] } })).toBe(true);
    expect(m({ detail: { count: [5.0] } })).toBe(true);
    expect(m({ detail: { count: ['5'] } })).toBe(false);
    expect(m({ detail: { readOnly: [false] } })).toBe(true);
    expect(m({ detail: { readOnly: ['false'] } })).toBe(false);
    expect(m({ detail: { nothing: [null] } })).toBe(true);
    expect(m({ detail: { missing: [null] } })).toBe(false);
    expect(m({ detail: { empty: [''] } })).toBe(true);
  });

  it('matches an event array when any element matches, including arrays of objects', () => {
    expect(m({ detail: { tags: ['web'] } })).toBe(true);
    expect(m({ detail: { tags: ['db'] } })).toBe(false);
    expect(m({ detail: { items: { fromPort: [443] } } })).toBe(true);
    expect(m({ detail: { items: { fromPort: [80] } } })).toBe(false);
  });

  it('prefix and suffix, with and without equals-ignore-case', () => {
    expect(m({ detail: { eventName: [{ prefix: 'Authorize' }] } })).toBe(true);
    expect(m({ detail: { eventName: [{ prefix: 'authorize' }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ prefix: { 'equals-ignore-case': 'authorize' } }] } })).toBe(true);
    expect(m({ detail: { eventName: [{ suffix: 'Ingress' }] } })).toBe(true);
    expect(m({ detail: { eventName: [{ suffix: 'Egress' }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ suffix: { 'equals-ignore-case': 'INGRESS' } }] } })).toBe(true);
    expect(m({ detail: { count: [{ prefix: '5' }] } })).toBe(false);
  });

  it('anything-but with a value, a list, prefix, suffix, equals-ignore-case and wildcard', () => {
    expect(m({ detail: { eventName: [{ 'anything-but': 'RevokeSecurityGroupIngress' }] } })).toBe(true);
    expect(m({ detail: { eventName: [{ 'anything-but': 'AuthorizeSecurityGroupIngress' }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ 'anything-but': ['A', 'AuthorizeSecurityGroupIngress'] }] } })).toBe(false);
    expect(m({ detail: { count: [{ 'anything-but': [1, 2, 3] }] } })).toBe(true);
    expect(m({ detail: { count: [{ 'anything-but': [5] }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ 'anything-but': { prefix: 'Revoke' } }] } })).toBe(true);
    expect(m({ detail: { eventName: [{ 'anything-but': { prefix: 'Authorize' } }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ 'anything-but': { suffix: 'Ingress' } }] } })).toBe(false);
    expect(
      m({ detail: { eventName: [{ 'anything-but': { 'equals-ignore-case': 'authorizesecuritygroupingress' } }] } }),
    ).toBe(false);
    expect(m({ detail: { eventName: [{ 'anything-but': { wildcard: '*Egress' } }] } })).toBe(true);
    // a missing field matches no anything-but
    expect(m({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
  });

  it('exists true and false, on leaves only', () => {
    expect(m({ detail: { eventName: [{ exists: true }] } })).toBe(true);
    expect(m({ detail: { errorCode: [{ exists: false }] } })).toBe(true);
    expect(m({ detail: { errorCode: [{ exists: true }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ exists: false }] } })).toBe(false);
    // an object is not a leaf
    expect(m({ detail: { userIdentity: [{ exists: true }] } })).toBe(false);
    // a nested exists:false under a missing parent still matches
    expect(m({ detail: { missingParent: { child: [{ exists: false }] } } })).toBe(true);
    expect(m({ resources: [{ exists: false }] })).toBe(true);
  });

  it('numeric ranges', () => {
    expect(m({ detail: { count: [{ numeric: ['>', 0, '<=', 5] }] } })).toBe(true);
    expect(m({ detail: { count: [{ numeric: ['>', 5] }] } })).toBe(false);
    expect(m({ detail: { count: [{ numeric: ['=', 5] }] } })).toBe(true);
    expect(m({ detail: { count: [{ numeric: ['>=', 6] }] } })).toBe(false);
    expect(m({ detail: { eventName: [{ numeric: ['>', 0] }] } })).toBe(false);
  });

  it('equals-ignore-case, wildcard and cidr', () => {
    expect(m({ source: [{ 'equals-ignore-case': 'AWS.EC2' }] })).toBe(true);
    expect(m({ detail: { userIdentity: { arn: [{ wildcard: 'arn:aws:sts::*:assumed-role/Admin/*' }] } } })).toBe(true);
    expect(m({ detail: { userIdentity: { arn: [{ wildcard: 'arn:aws:iam::*' }] } } })).toBe(false);
    expect(m({ detail: { sourceIPAddress: [{ cidr: '10.0.0.0/16' }] } })).toBe(true);
    expect(m({ detail: { sourceIPAddress: [{ cidr: '10.1.0.0/16' }] } })).toBe(false);
    expect(wildcardMatch('a\\*b', 'a*b')).toBe(true);
    expect(wildcardMatch('a\\*b', 'axb')).toBe(false);
    expect(wildcardMatch('file.png', 'fileXpng')).toBe(false);
  });

  it('$or combines alternatives with the other keys', () => {
    const p = { source: ['aws.ec2'], detail: { $or: [{ eventName: ['Nope'] }, { count: [{ numeric: ['>', 1] }] }] } };
    expect(m(p)).toBe(true);
    expect(m({ source: ['aws.s3'], detail: p.detail })).toBe(false);
    expect(m({ detail: { $or: [{ eventName: ['Nope'] }, { count: [6] }] } })).toBe(false);
  });

  it('the pattern guardrail deploys matches the event it targets', () => {
    const pattern = JSON.stringify({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['ec2.amazonaws.com'],
        eventName: ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'ModifySecurityGroupRules'],
        errorCode: [{ exists: false }],
      },
    });
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(
      matchesPattern(pattern, { ...event, detail: { ...event.detail, errorCode: 'Client.UnauthorizedOperation' } }),
    ).toBe(false);
  });

  it('rejects invalid patterns as PutRule does, and an invalid pattern matches nothing', () => {
    for (const bad of [
      '[]',
      '"x"',
      '{"source":"aws.ec2"}',
      '{"source":[]}',
      '{"a":[{"prefix":1}]}',
      '{"a":[{"exists":"yes"}]}',
      '{"a":[{"numeric":[">"]}]}',
      '{"a":[{"bogus":1}]}',
      '{"a":[{"anything-but":["x",1]}]}',
      'not json',
      '{"$or":[{"a":["b"]}]}',
    ]) {
      expect(() => parseEventPattern(bad), bad).toThrow(InvalidEventPatternError);
      expect(matchesPattern(bad, event), bad).toBe(false);
    }
    expect(() => parseEventPattern('{"a":[{"cidr":"10.0.0.0/33"}]}')).toThrow(/CIDR/);
  });
});
