// The decision log line: every field `guardrail activity` reads, the rules of the decision, and the size cap.
import { describe, expect, it } from 'vitest';
import { MAX_LOGGED_RULES, decisionLine } from '../src/log.js';
import { processEvent } from '../src/process-event.js';
import { ACCOUNT, FakeEc2, REGION, USER_ARN, config, ctPermission, envelope } from './fakes.js';

const SG = 'sg-0123456789abcdef0';

async function linesFor(
  event: unknown,
  ec2: FakeEc2,
  env: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  await processEvent(event, { config: config({ AWS_REGION: REGION, ...env }), ec2, log: (l) => lines.push(l) });
  return lines;
}

const extra = { sourceIPAddress: '198.51.100.7', userAgent: 'aws-cli/2.15.0 Python/3.11' };

describe('the decision log line', () => {
  it('carries the call, the caller, the group, each rule and the decision', async () => {
    const ec2 = new FakeEc2();
    ec2.addGroup({
      groupId: SG,
      vpcId: 'vpc-0abc',
      rules: [{ ruleId: 'sgr-0new', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' }],
    });
    const event = envelope({
      requestParameters: {
        groupId: SG,
        ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
      },
      responseElements: {
        requestId: 'r',
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              securityGroupRuleId: 'sgr-0new',
              groupId: SG,
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              cidrIpv4: '0.0.0.0/0',
            },
          ],
        },
      },
      extra,
    });
    // an exempt tag makes the function describe the group, so it learns the VPC
    const [line] = await linesFor(event, ec2, { GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true' });
    expect(line).toEqual({
      level: 'warn',
      eventTime: '2025-01-01T00:00:00Z',
      eventName: 'AuthorizeSecurityGroupIngress',
      eventId: 'c0000000-0000-4000-8000-000000000002',
      account: ACCOUNT,
      region: REGION,
      groupId: SG,
      vpcId: 'vpc-0abc',
      direction: 'ingress',
      ruleIds: ['sgr-0new'],
      rules: [{ ruleId: 'sgr-0new', protocol: 'tcp', fromPort: 22, toPort: 22, source: '0.0.0.0/0' }],
      principal: USER_ARN,
      roleArn: null,
      sourceIPAddress: '198.51.100.7',
      userAgent: 'aws-cli/2.15.0 Python/3.11',
      action: 'reverted',
      reason: 'revoked 1 ingress rule(s) by id',
    });
  });

  it('lists every source of an old-format request (no rule ids), and leaves out vpcId when unknown', async () => {
    const ec2 = new FakeEc2();
    ec2.addGroup({ groupId: SG, rules: [] });
    const event = envelope({
      requestParameters: {
        groupId: SG,
        ipPermissions: {
          items: [ctPermission({ protocol: 'udp', from: 53, to: 53, cidrs: ['10.0.0.0/8', '192.0.2.0/24'] })],
        },
      },
    });
    const [line] = await linesFor(event, ec2);
    expect(line?.rules).toEqual([
      { protocol: 'udp', fromPort: 53, toPort: 53, source: '10.0.0.0/8' },
      { protocol: 'udp', fromPort: 53, toPort: 53, source: '192.0.2.0/24' },
    ]);
    expect(JSON.parse(JSON.stringify(line))).not.toHaveProperty('vpcId');
  });

  it('keeps the fields it can for an event it cannot read', async () => {
    const [line] = await linesFor({ hello: 'world' }, new FakeEc2());
    expect(line).toMatchObject({
      action: 'failed',
      eventTime: null,
      principal: null,
      rules: [],
      sourceIPAddress: null,
    });
  });

  it("carries the session issuer beside the principal, so activity --principal finds a role's sessions", async () => {
    const ec2 = new FakeEc2();
    ec2.addGroup({ groupId: SG, rules: [] });
    const userIdentity = {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Dev/bob`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${ACCOUNT}:role/team/Dev`,
          accountId: ACCOUNT,
          userName: 'Dev',
        },
      },
    };
    const event = envelope({
      requestParameters: {
        groupId: SG,
        ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
      },
      userIdentity,
    });
    const [line] = await linesFor(event, ec2);
    expect(line).toMatchObject({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/Dev/bob`,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/team/Dev`,
    });
  });

  it('caps the rule list under the 256 KB event limit and says how many were cut', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `sgr-0${i.toString(16).padStart(6, '0')}`);
    const ec2 = new FakeEc2();
    ec2.addGroup({
      groupId: SG,
      rules: ids.map((ruleId) => ({ ruleId, isEgress: false, protocol: 'tcp', from: 1, to: 1, cidr4: '0.0.0.0/0' })),
    });
    const event = envelope({
      requestParameters: { groupId: SG },
      responseElements: {
        requestId: 'r',
        _return: true,
        securityGroupRuleSet: {
          items: ids.map((id) => ({
            securityGroupRuleId: id,
            groupId: SG,
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 1,
            toPort: 1,
            cidrIpv4: '0.0.0.0/0',
            description: 'x'.repeat(255),
          })),
        },
      },
      extra: { userAgent: 'u'.repeat(100_000) },
    });
    const [line] = await linesFor(event, ec2);
    expect(line?.rules).toHaveLength(MAX_LOGGED_RULES);
    expect(line?.ruleIds).toHaveLength(MAX_LOGGED_RULES);
    expect(line?.rulesOmitted).toBe(1000 - MAX_LOGGED_RULES);
    expect(String(line?.userAgent).length).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThan(256 * 1024);
  });

  it('drops the rule list entirely when a line would still be too long, and carries an approval id', () => {
    const huge = 'g'.repeat(300_000);
    const line = decisionLine(
      { eventId: 'e', eventName: 'AuthorizeSecurityGroupIngress', account: ACCOUNT, region: REGION },
      { groupId: SG, ruleIds: ['sgr-01'], direction: 'ingress', action: 'allowed', reason: 'ok', approvalId: 'apv-1' },
      {
        change: {
          kind: 'rule-ids',
          direction: 'ingress',
          groupId: SG,
          rules: [{ ruleId: 'sgr-01', ipProtocol: 'tcp', cidrIpv4: huge }],
        },
      },
    );
    expect(line.rules).toEqual([]);
    expect(line.rulesOmitted).toBe(1);
    expect(line.approvalId).toBe('apv-1');
  });
});
