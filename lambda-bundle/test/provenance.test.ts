// Provenance: the function acts only on records it proves are in flight in its own queue; everything else is
// refused (logged at level error, notified) and nothing it names is touched. Then the scope-tag hold and the
// transient-failure path, which put a record back on the queue instead of acting or losing it.
import { describe, expect, it } from 'vitest';
import { handleBatch, type BatchResponse } from '../src/batch.js';
import type { Deps } from '../src/process-event.js';
import type { Result, SqsPort } from '../src/types.js';
import { ACCOUNT, AwsError, FakeEc2, FakeSns, REGION, USER_ARN, config, ctPermission, envelope } from './fakes.js';

const SG = 'sg-0123456789abcdef0';
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/guardrail-EventQueue-X`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:guardrail-EventQueue-X`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:t`;

/** SQS as the function sees it: a receipt handle is good while its message is in flight. */
class FakeQueue implements SqsPort {
  inFlight = new Set<string>();
  visibility: [string, number][] = [];
  failNext?: Error;
  async changeVisibility(url: string, handle: string, seconds: number): Promise<void> {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    if (url !== QUEUE_URL || !this.inFlight.has(handle))
      throw new AwsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
    this.visibility.push([handle, seconds]);
  }
  // a batch never reads the dead-letter queue
  receive(): Promise<never> {
    return Promise.reject(new Error('not used by a batch'));
  }
  delete(): Promise<never> {
    return Promise.reject(new Error('not used by a batch'));
  }
  depth(): Promise<never> {
    return Promise.reject(new Error('not used by a batch'));
  }
}

function world(tags: Record<string, string> = {}): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({
    groupId: SG,
    tags,
    rules: [{ ruleId: 'sgr-0open', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' }],
  });
  return ec2;
}

function deps(
  ec2: FakeEc2,
  sqs: FakeQueue,
  env: Record<string, string> = {},
): Deps & { lines: Record<string, unknown>[]; sns: FakeSns } {
  const lines: Record<string, unknown>[] = [];
  const sns = new FakeSns();
  return {
    config: config({
      AWS_REGION: REGION,
      GUARDRAIL_SELF_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/guardrail-FunctionRole-X`,
      GUARDRAIL_EVENT_QUEUE_URL: QUEUE_URL,
      GUARDRAIL_EVENT_QUEUE_ARN: QUEUE_ARN,
      GUARDRAIL_NOTIFY_TOPIC_ARN: TOPIC,
      GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true',
      ...env,
    }),
    ec2,
    sqs,
    sns,
    log: (l) => lines.push(l),
    lines,
  };
}

const sshEvent = () =>
  envelope({
    requestParameters: {
      groupId: SG,
      ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
    },
    responseElements: {
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupId: SG,
            securityGroupRuleId: 'sgr-0open',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv4: '0.0.0.0/0',
          },
        ],
      },
    },
  });

function batch(
  body: unknown,
  o: { handle?: string; arn?: string; sentAt?: number; attempt?: number } = {},
): Record<string, unknown> {
  return {
    Records: [
      {
        messageId: 'm-1',
        receiptHandle: o.handle ?? 'h-1',
        body: JSON.stringify(body),
        eventSource: 'aws:sqs',
        eventSourceARN: o.arn ?? QUEUE_ARN,
        awsRegion: REGION,
        attributes: { ApproximateReceiveCount: String(o.attempt ?? 1), SentTimestamp: String(o.sentAt ?? Date.now()) },
      },
    ],
  };
}

const decisions = (r: Result | BatchResponse) => ('results' in r ? r.results.flatMap((x) => x.decisions) : r.decisions);
const rules = (ec2: FakeEc2) => ec2.groups.get(SG)!.rules.map((r) => r.ruleId);

describe("provenance: only proven messages of the function's own queue are acted on", () => {
  it('a proven record is decided and reverted; the proof takes a lease on the message', async () => {
    const ec2 = world();
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    const r = await handleBatch(batch(sshEvent()), deps(ec2, sqs));
    expect(decisions(r).map((d) => d.action)).toEqual(['reverted']);
    expect((r as BatchResponse).batchItemFailures).toEqual([]);
    expect(sqs.visibility).toEqual([['h-1', 60]]);
    expect(rules(ec2)).toEqual([]);
  });

  const forgeries: [string, () => unknown][] = [
    ['a bare EventBridge envelope (direct invoke)', () => sshEvent()],
    ['a bare CloudTrail record', () => (sshEvent() as { detail: unknown }).detail],
    ['an SQS batch with a made-up receipt handle', () => batch(sshEvent(), { handle: 'AQEBmadeup' })],
    ['an SQS batch naming another queue', () => batch(sshEvent(), { arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:other` })],
    ['nothing at all', () => ({})],
  ];
  for (const [what, make] of forgeries) {
    it(`refuses ${what}: logged at level error, notified, the rule stays`, async () => {
      const ec2 = world();
      const sqs = new FakeQueue();
      const d = deps(ec2, sqs);
      const r = await handleBatch(make(), d);
      expect(decisions(r).map((x) => x.action)).toEqual(['refused']);
      expect(rules(ec2)).toEqual(['sgr-0open']);
      expect(ec2.calls).toEqual([]);
      expect(d.lines[0]).toMatchObject({ level: 'error', action: 'refused', groupId: null, ruleIds: [] });
      expect(d.sns.messages[0]!.subject).toMatch(/^guardrail REFUSED/);
    });
  }

  it('a forged batch of many records is refused once: one line, one notification, the count in the reason', async () => {
    const one = batch(sshEvent(), { handle: 'AQEBmadeup' }) as { Records: Record<string, unknown>[] };
    const many = {
      Records: [1, 2, 3].map((n) => ({ ...one.Records[0], messageId: `m-${n}`, receiptHandle: `AQEB-${n}` })),
    };
    const d = deps(world(), new FakeQueue());
    const r = await handleBatch(many, d);
    expect(decisions(r)).toEqual([
      expect.objectContaining({ action: 'refused', reason: expect.stringContaining('(3 records)') }),
    ]);
    expect(d.sns.messages).toHaveLength(1);
  });

  it('a proven message that is not of this account and region is refused (a forwarded event)', async () => {
    for (const body of [
      { ...sshEvent(), account: '222222222222' },
      { ...sshEvent(), region: 'eu-west-1' },
      { ...sshEvent(), detail: { ...(sshEvent() as { detail: object }).detail, recipientAccountId: '222222222222' } },
      { ...sshEvent(), source: 'custom.ec2' },
    ]) {
      const ec2 = world();
      const sqs = new FakeQueue();
      sqs.inFlight.add('h-1');
      const r = await handleBatch(batch(body), deps(ec2, sqs));
      expect(
        decisions(r).map((x) => x.action),
        JSON.stringify(body).slice(0, 80),
      ).toEqual(['refused']);
      expect(rules(ec2)).toEqual(['sgr-0open']);
    }
  });

  it('a proof that fails for a moment (throttled) acts on nothing and hands the record back', async () => {
    const ec2 = world();
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    sqs.failNext = new AwsError('RequestThrottled');
    const r = (await handleBatch(batch(sshEvent()), deps(ec2, sqs))) as BatchResponse;
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(rules(ec2)).toEqual(['sgr-0open']);
  });

  it('a scheduled event comes through the queue too: a direct one is refused', async () => {
    const sched = {
      version: '0',
      id: 's',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      region: REGION,
      detail: {},
    };
    const d = deps(world(), new FakeQueue());
    expect(decisions(await handleBatch(sched, d)).map((x) => x.action)).toEqual(['refused']);
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    expect(decisions(await handleBatch(batch(sched), deps(world(), sqs))).map((x) => x.action)).toEqual(['ignored']); // approvals are off
  });
});

describe('holding and retrying through the queue', () => {
  it('a change that only the exempt tag lets through is held until the tag has settled, then decided on the tags as they are', async () => {
    const ec2 = world({ 'guardrail:exempt': 'true' });
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    const d = deps(ec2, sqs);
    const first = (await handleBatch(batch(sshEvent(), { sentAt: Date.now() - 5_000 }), d)) as BatchResponse;
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(first.results).toEqual([]);
    expect(sqs.visibility.at(-1)).toEqual(['h-1', 25]);
    expect(d.lines).toEqual([
      expect.objectContaining({ level: 'info', message: expect.stringContaining('held for 25 s') }),
    ]);
    // meanwhile the tag was taken off: the held change is reverted
    ec2.groups.get(SG)!.tags = {};
    const again = (await handleBatch(
      batch(sshEvent(), { sentAt: Date.now() - 31_000, attempt: 2 }),
      d,
    )) as BatchResponse;
    expect(again.batchItemFailures).toEqual([]);
    expect(decisions(again).map((x) => x.action)).toEqual(['reverted']);
    expect(rules(ec2)).toEqual([]);
  });

  it('a tag that is still there once settled exempts the group as before (allowed, and notified)', async () => {
    const ec2 = world({ 'guardrail:exempt': 'true' });
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    const d = deps(ec2, sqs);
    const r = await handleBatch(batch(sshEvent(), { sentAt: Date.now() - 31_000 }), d);
    expect(decisions(r)).toEqual([
      expect.objectContaining({ action: 'allowed', reason: 'group carries the exempt tag guardrail:exempt=true' }),
    ]);
    expect(d.sns.messages).toHaveLength(1);
  });

  it('an exemption by group id or VPC rests on no tag and is not held', async () => {
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    const r = (await handleBatch(
      batch(sshEvent()),
      deps(world(), sqs, { GUARDRAIL_EXEMPT_GROUPS: SG }),
    )) as BatchResponse;
    expect(r.batchItemFailures).toEqual([]);
    expect(decisions(r).map((x) => x.action)).toEqual(['allowed']);
  });

  it('a transient failure is logged as a failed attempt, with its number and code, and handed back to the queue', async () => {
    const ec2 = world();
    ec2.failNext.revoke = [new AwsError('RequestLimitExceeded')];
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    const d = deps(ec2, sqs);
    const r = (await handleBatch(batch(sshEvent(), { attempt: 3 }), d)) as BatchResponse;
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(d.lines).toEqual([
      expect.objectContaining({
        level: 'error',
        action: 'failed',
        reason: 'attempt 3 failed (RequestLimitExceeded); retried through the queue',
      }),
    ]);
    expect(sqs.visibility.at(-1)).toEqual(['h-1', 15]);
  });

  it('an allowed principal is never held, whatever the tags', async () => {
    const sqs = new FakeQueue();
    sqs.inFlight.add('h-1');
    const r = (await handleBatch(
      batch(sshEvent()),
      deps(world({ 'guardrail:exempt': 'true' }), sqs, { GUARDRAIL_ALLOW_PRINCIPALS: USER_ARN }),
    )) as BatchResponse;
    expect(r.batchItemFailures).toEqual([]);
    expect(decisions(r).map((x) => x.action)).toEqual(['allowed']);
  });
});
