// Retry from the dead-letter queue, with fake ports: the request carries nothing but maxMessages (anything more is
// refused whole), the events come from the function's own dead-letter queue only, each is decided on the group as it
// is now and logged with "via": "dead-letter-queue", and a message is deleted only after its lines are written; one
// that fails again stays. Messages that are not guardrail's (another account's event, one SQS moved from a queue that
// is not the event queue) are refused and never acted on.
import { describe, expect, it } from 'vitest';
import type { Deps } from '../src/process-event.js';
import {
  handleInvocation,
  MAX_MESSAGES,
  RESERVE_MS,
  retryDeadLetters,
  retryRequest,
  type RetryResponse,
} from '../src/retry.js';
import type { DeadLetter, Result, SqsPort } from '../src/types.js';
import { ACCOUNT, AwsError, FakeEc2, FakeSns, REGION, config, ctPermission, envelope } from './fakes.js';

const SG = 'sg-0123456789abcdef0';
const EVENT_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:guardrail-EventQueue-X`;
const DLQ_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/guardrail-DeadLetterQueue-X`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/guardrail-FunctionRole-X`;

type Step =
  | { kind: 'line'; line: Record<string, unknown> }
  | { kind: 'delete'; handle: string }
  | { kind: 'receive'; max: number };

/** SQS as the retry sees its dead-letter queue: received messages hide for their visibility timeout, deletes remove. */
class FakeDeadLetters implements SqsPort {
  messages: (DeadLetter & { hidden: boolean })[] = [];
  failReceive?: Error;
  failDelete?: Error;
  constructor(private steps: Step[]) {}
  put(body: unknown, o: Partial<DeadLetter> = {}): string {
    const n = this.messages.length + 1;
    const m = {
      messageId: `m-${n}`,
      receiptHandle: `h-${n}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      sentAt: Date.now() - 600_000,
      receiveCount: 0,
      sourceQueueArn: EVENT_QUEUE_ARN,
      hidden: false,
      ...o,
    };
    this.messages.push(m);
    return m.receiptHandle;
  }
  changeVisibility(): Promise<never> {
    return Promise.reject(new Error('a retry never changes visibility'));
  }
  async receive(url: string, max: number, visibility: number, wait: number): Promise<DeadLetter[]> {
    expect(url).toBe(DLQ_URL);
    expect(max).toBeLessThanOrEqual(10);
    expect(visibility).toBeGreaterThan(0);
    expect(wait).toBeGreaterThan(0);
    this.steps.push({ kind: 'receive', max });
    if (this.failReceive) throw this.failReceive;
    const out = this.messages.filter((m) => !m.hidden).slice(0, max);
    for (const m of out) {
      m.hidden = true;
      m.receiveCount++;
    }
    return out.map(({ hidden: _, ...m }) => ({ ...m }));
  }
  async delete(url: string, handle: string): Promise<void> {
    expect(url).toBe(DLQ_URL);
    if (this.failDelete) throw this.failDelete;
    this.steps.push({ kind: 'delete', handle });
    this.messages = this.messages.filter((m) => m.receiptHandle !== handle);
  }
  async depth(): Promise<number> {
    return this.messages.filter((m) => !m.hidden).length;
  }
  get handles(): string[] {
    return this.messages.map((m) => m.receiptHandle);
  }
}

function world(): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({
    groupId: SG,
    rules: [{ ruleId: 'sgr-0open', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' }],
  });
  return ec2;
}

function setup(env: Record<string, string> = {}) {
  const steps: Step[] = [];
  const ec2 = world();
  const dlq = new FakeDeadLetters(steps);
  const sns = new FakeSns();
  const deps: Deps = {
    config: config({
      AWS_REGION: REGION,
      GUARDRAIL_SELF_ROLE_ARN: ROLE,
      GUARDRAIL_EVENT_QUEUE_URL: 'https://q/event',
      GUARDRAIL_EVENT_QUEUE_ARN: EVENT_QUEUE_ARN,
      GUARDRAIL_DEAD_LETTER_QUEUE_URL: DLQ_URL,
      GUARDRAIL_NOTIFY_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:t`,
      ...env,
    }),
    ec2,
    sqs: dlq,
    sns,
    log: (line) => steps.push({ kind: 'line', line }),
  };
  const lines = () => steps.flatMap((s) => (s.kind === 'line' ? [s.line] : []));
  return { steps, ec2, dlq, sns, deps, lines };
}

const sshEvent = (ruleId = 'sgr-0open', extra: Record<string, unknown> = {}) => ({
  ...envelope({
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
            securityGroupRuleId: ruleId,
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv4: '0.0.0.0/0',
          },
        ],
      },
    },
  }),
  ...extra,
});

const plenty = () => 60_000;
const rules = (ec2: FakeEc2) => ec2.groups.get(SG)!.rules.map((r) => r.ruleId);
const counts = (r: unknown) => (r as RetryResponse).retry;

describe('the retry request', () => {
  it.each<[string, unknown, number | string | undefined]>([
    ['exactly the request', { guardrail: 'retry', maxMessages: 25 }, 25],
    ['the most', { guardrail: 'retry', maxMessages: MAX_MESSAGES }, MAX_MESSAGES],
    ['an event beside it', { guardrail: 'retry', maxMessages: 10, event: sshEvent() }, 'exactly'],
    ['an event instead of maxMessages', { guardrail: 'retry', event: sshEvent() }, 'exactly'],
    ['another field', { guardrail: 'retry', maxMessages: 10, queueUrl: 'https://elsewhere' }, 'exactly'],
    ['another verb', { guardrail: 'revert', maxMessages: 10 }, 'exactly'],
    ['no maxMessages', { guardrail: 'retry' }, 'exactly'],
    ['zero', { guardrail: 'retry', maxMessages: 0 }, 'whole number'],
    ['too many', { guardrail: 'retry', maxMessages: MAX_MESSAGES + 1 }, 'whole number'],
    ['a fraction', { guardrail: 'retry', maxMessages: 1.5 }, 'whole number'],
    ['a string', { guardrail: 'retry', maxMessages: '10' }, 'whole number'],
    ['a __proto__ key', JSON.parse('{"guardrail":"retry","maxMessages":1,"__proto__":{"x":1}}') as unknown, 'exactly'],
    ['an SQS batch', { Records: [] }, undefined],
    ['nothing', null, undefined],
  ])('%s', (_, payload, expected) => {
    const r = retryRequest(payload);
    if (expected === undefined) expect(r).toBeUndefined();
    else if (typeof expected === 'number') expect(r).toEqual({ ok: true, maxMessages: expected });
    else expect(r).toMatchObject({ ok: false, reason: expect.stringContaining(expected) });
  });

  it('a request that carries an event is refused whole: the DLQ is not read, the rule the event names is not touched', async () => {
    const { deps, dlq, ec2, lines, steps } = setup();
    dlq.put(sshEvent());
    const r = (await handleInvocation(
      { guardrail: 'retry', maxMessages: 10, event: sshEvent() },
      deps,
      plenty,
    )) as Result;
    expect(r.decisions.map((d) => d.action)).toEqual(['refused']);
    expect(lines()).toEqual([expect.objectContaining({ level: 'error', action: 'refused' })]);
    expect(steps.some((s) => s.kind === 'receive')).toBe(false);
    expect(ec2.revokes).toEqual([]);
    expect(rules(ec2)).toEqual(['sgr-0open']);
    expect(dlq.handles).toEqual(['h-1']);
  });

  it('an event sent on its own is still refused as before (a direct invocation)', async () => {
    const { deps, ec2, steps } = setup();
    const r = (await handleInvocation(sshEvent(), deps, plenty)) as Result;
    expect(r.decisions.map((d) => d.action)).toEqual(['refused']);
    expect(steps.some((s) => s.kind === 'receive')).toBe(false);
    expect(ec2.revokes).toEqual([]);
  });
});

describe('retryDeadLetters', () => {
  it('a rule still open is reverted now, logged via the dead-letter queue, and the message deleted after its line', async () => {
    const { deps, dlq, ec2, steps, sns } = setup();
    dlq.put(sshEvent());
    const r = await handleInvocation({ guardrail: 'retry', maxMessages: 10 }, deps, plenty);
    expect(counts(r)).toEqual({ received: 1, reverted: 1, ignored: 0, allowed: 0, failed: 0, remaining: 0 });
    expect(rules(ec2)).toEqual([]);
    const line = steps.findIndex((s) => s.kind === 'line' && s.line.action === 'reverted');
    const del = steps.findIndex((s) => s.kind === 'delete');
    expect(line).toBeGreaterThanOrEqual(0);
    expect(del).toBeGreaterThan(line);
    expect((steps[line] as { line: Record<string, unknown> }).line).toMatchObject({
      via: 'dead-letter-queue',
      groupId: SG,
      ruleIds: ['sgr-0open'],
    });
    expect(dlq.handles).toEqual([]);
    expect(sns.messages).toHaveLength(1);
  });

  it('a rule already gone is ignored (not counted as reverted again) and the message deleted', async () => {
    const { deps, dlq, ec2, lines } = setup();
    ec2.groups.get(SG)!.rules = [];
    dlq.put(sshEvent());
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toMatchObject({ received: 1, reverted: 0, ignored: 1, failed: 0 });
    expect(lines()).toEqual([
      expect.objectContaining({
        action: 'ignored',
        via: 'dead-letter-queue',
        reason: expect.stringMatching(/nothing left to revert now: already gone/),
      }),
    ]);
    expect(dlq.handles).toEqual([]);
  });

  it('a message that fails again stays in the queue, with its own failed line', async () => {
    const { deps, dlq, ec2, lines } = setup();
    ec2.failNext.revoke = [new AwsError('RequestLimitExceeded', 'Request limit exceeded.', { httpStatusCode: 503 })];
    dlq.put(sshEvent());
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toEqual({ received: 1, reverted: 0, ignored: 0, allowed: 0, failed: 1, remaining: 0 });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'error',
        action: 'failed',
        via: 'dead-letter-queue',
        reason: expect.stringMatching(/RequestLimitExceeded, receive 1\); the message stays there/),
      }),
    ]);
    expect(dlq.handles).toEqual(['h-1']);
    expect(rules(ec2)).toEqual(['sgr-0open']);
  });

  it("an allowed principal's change is counted as allowed and deleted", async () => {
    const { deps, dlq, ec2 } = setup({ GUARDRAIL_ALLOW_PRINCIPALS: `arn:aws:iam::${ACCOUNT}:user/alice` });
    dlq.put(sshEvent());
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toMatchObject({ received: 1, allowed: 1, reverted: 0 });
    expect(rules(ec2)).toEqual(['sgr-0open']);
    expect(dlq.handles).toEqual([]);
  });

  it.each<[string, (dlq: FakeDeadLetters) => void, RegExp]>([
    [
      'an envelope naming another account',
      (q) => q.put(sshEvent('sgr-0open', { account: '999999999999' })),
      /an event of 999999999999/,
    ],
    [
      'a CloudTrail record of another region',
      (q) => q.put({ ...sshEvent(), detail: { ...(sshEvent().detail as object), awsRegion: 'eu-west-1' } }),
      /a CloudTrail record of/,
    ],
    ['another source', (q) => q.put({ ...sshEvent(), source: 'my.app' }), /not an EC2 API call/],
    ['not JSON', (q) => q.put('{not json'), /not JSON/],
    [
      "a message SQS moved from a queue of someone's own",
      (q) => q.put(sshEvent(), { sourceQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:mallory` }),
      /moved here from arn:aws:sqs:.*:mallory/,
    ],
  ])('%s is refused, not acted on, and removed (the refused line is its record)', async (_, put, reason) => {
    const { deps, dlq, ec2, lines, sns } = setup();
    put(dlq);
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toMatchObject({ received: 1, reverted: 0, failed: 1 });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'error',
        action: 'refused',
        via: 'dead-letter-queue',
        eventId: null,
        reason: expect.stringMatching(reason),
      }),
    ]);
    expect(ec2.revokes).toEqual([]);
    expect(ec2.calls).toEqual([]);
    expect(rules(ec2)).toEqual(['sgr-0open']);
    expect(dlq.handles).toEqual([]);
    expect(sns.messages.some((m) => m.subject.includes('REFUSED'))).toBe(true);
  });

  it('a message EventBridge put there (no source queue) is decided like one SQS moved from the event queue', async () => {
    const { deps, dlq, ec2 } = setup();
    dlq.put(sshEvent(), { sourceQueueArn: undefined });
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toMatchObject({ received: 1, reverted: 1 });
    expect(rules(ec2)).toEqual([]);
  });

  it('reads ten at a time up to maxMessages, and says how many remain', async () => {
    const { deps, dlq, steps } = setup();
    ec2Rules(deps);
    for (let i = 0; i < 25; i++) dlq.put(sshEvent(`sgr-${String(i).padStart(4, '0')}`));
    const r = await retryDeadLetters(deps, 12, plenty);
    expect(steps.flatMap((s) => (s.kind === 'receive' ? [s.max] : []))).toEqual([10, 2]);
    expect(r.retry).toMatchObject({ received: 12, ignored: 12, remaining: 13 });
  });

  it("stops at an empty queue, and before a batch when the invocation's time runs short", async () => {
    const empty = setup();
    expect((await retryDeadLetters(empty.deps, 100, plenty)).retry).toEqual({
      received: 0,
      reverted: 0,
      ignored: 0,
      allowed: 0,
      failed: 0,
      remaining: 0,
    });
    const late = setup();
    late.dlq.put(sshEvent());
    expect((await retryDeadLetters(late.deps, 100, () => RESERVE_MS)).retry).toMatchObject({
      received: 0,
      remaining: 1,
    });
    expect(late.steps.some((s) => s.kind === 'receive')).toBe(false);
  });

  it('a queue that cannot be read, or none configured, is one failed line; remaining is -1 when unknown', async () => {
    const denied = setup();
    denied.dlq.failReceive = new AwsError('AccessDenied', 'denied', { httpStatusCode: 403 });
    expect((await retryDeadLetters(denied.deps, 10, plenty)).retry).toMatchObject({
      received: 0,
      failed: 1,
      remaining: 0,
    });
    expect(denied.lines()).toEqual([
      expect.objectContaining({ action: 'failed', reason: 'could not read the dead-letter queue (AccessDenied)' }),
    ]);
    const none = setup({ GUARDRAIL_DEAD_LETTER_QUEUE_URL: '' });
    expect((await retryDeadLetters(none.deps, 10, plenty)).retry).toEqual({
      received: 0,
      reverted: 0,
      ignored: 0,
      allowed: 0,
      failed: 1,
      remaining: -1,
    });
  });

  it('a delete that fails is logged, and the message is decided again next time (the revert is idempotent)', async () => {
    const { deps, dlq, lines } = setup();
    dlq.failDelete = new AwsError('InternalError', 'x', { httpStatusCode: 500 });
    dlq.put(sshEvent());
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toMatchObject({ reverted: 1 });
    expect(lines().at(-1)).toMatchObject({
      level: 'error',
      message: expect.stringMatching(/could not be deleted .*InternalError/),
    });
    expect(dlq.handles).toEqual(['h-1']);
  });

  it('an exempt tag put on by a principal that is not allowed: taken off if it is still there, ignored if it is gone', async () => {
    const tagged = () =>
      envelope({
        eventName: 'CreateTags',
        requestParameters: {
          resourcesSet: { items: [{ resourceId: SG }] },
          tagSet: { items: [{ key: 'guardrail:exempt', value: 'true' }] },
        },
      });
    const still = setup({ GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true' });
    still.ec2.groups.get(SG)!.tags = { 'guardrail:exempt': 'true' };
    still.dlq.put(tagged());
    expect((await retryDeadLetters(still.deps, 10, plenty)).retry).toMatchObject({ reverted: 1 });
    expect(still.ec2.groups.get(SG)!.tags).toEqual({});
    const gone = setup({ GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true' });
    gone.dlq.put(tagged());
    expect((await retryDeadLetters(gone.deps, 10, plenty)).retry).toMatchObject({ ignored: 1, reverted: 0 });
    expect(gone.lines()).toEqual([
      expect.objectContaining({
        action: 'ignored',
        reason: expect.stringMatching(/nothing left to undo now \(the group no longer carries guardrail:exempt\)/),
      }),
    ]);
    expect(gone.ec2.calls.map((c) => c.op)).not.toContain('untag');
  });

  it("the sweep's scheduled event is run again like any other, its lines via the dead-letter queue", async () => {
    const { deps, dlq, lines } = setup();
    dlq.put({
      version: '0',
      id: 'sweep-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      region: REGION,
      detail: {},
    });
    const r = await retryDeadLetters(deps, 10, plenty);
    expect(r.retry).toMatchObject({ received: 1, ignored: 1 });
    expect(lines()).toEqual([
      expect.objectContaining({
        eventName: 'Scheduled Event',
        action: 'ignored',
        reason: 'approvals are off',
        via: 'dead-letter-queue',
      }),
    ]);
    expect(dlq.handles).toEqual([]);
  });
});

/** Gives the fake group no rules, so every event of the many-messages test is about a rule already gone. */
function ec2Rules(deps: Deps): void {
  (deps.ec2 as FakeEc2).groups.get(SG)!.rules = [];
}
