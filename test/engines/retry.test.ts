// retry's CLI side, with the SDK clients faked (no simulator): the queue's depth read as status reads it, exactly the
// retry request sent to the function, its answer read (or refused) as a retry report, and the pipeline every engine
// shares: nothing waiting is `unchanged` and never invoked, a function error or an answer of another shape is a
// failed row with the reason, events still failing fail the row, and a declined confirmation invokes nothing.
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, type InvokeCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import { directPlaces } from '../../src/engines/direct/retry.js';
import { retryReverts, type RetryPlan } from '../../src/engines/retry.js';
import type { RunEvent } from '../../src/fleet/events.js';
import type { Session } from '../../src/fleet/session.js';
import { invokeRetry, queueDepth, readRetryAnswer, RETRY_PAYLOAD } from '../../src/stack/dead-letters.js';

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const answer = (counts: Record<string, number>) =>
  bytes({ retry: { received: 0, reverted: 0, ignored: 0, allowed: 0, failed: 0, remaining: 0, ...counts } });

/** A fake client: `send` hands each command to `reply` by its class. */
function fake<C>(reply: (command: object) => unknown): C {
  return { send: (command: object) => Promise.resolve().then(() => reply(command)) } as unknown as C;
}

describe('the dead-letter queue and the retry request', () => {
  it('the depth is the waiting and the in-flight messages together', async () => {
    const sqs = fake<SQSClient>((c) => {
      expect(c).toBeInstanceOf(GetQueueAttributesCommand);
      expect((c as GetQueueAttributesCommand).input).toEqual({
        QueueUrl: 'https://q/1/dlq',
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      });
      return { Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '1' } };
    });
    expect(await queueDepth(sqs, 'https://q/1/dlq')).toBe(3);
    await expect(
      queueDepth(
        fake<SQSClient>(() => ({ Attributes: { ApproximateNumberOfMessages: '2' } })),
        'u',
      ),
    ).rejects.toThrow(/no ApproximateNumberOfMessagesNotVisible \(missing\)/);
  });

  it('sends exactly the retry request, synchronously, to the function the stack names', async () => {
    let sent: InvokeCommandInput | undefined;
    const lambda = fake<LambdaClient>((c) => {
      sent = (c as InvokeCommand).input;
      return { StatusCode: 200, Payload: answer({ received: 1, reverted: 1 }) };
    });
    expect(await invokeRetry(lambda, 'guardrail-revert')).toEqual({
      kind: 'retried',
      counts: { received: 1, reverted: 1, ignored: 0, allowed: 0, failed: 0, remaining: 0 },
    });
    expect(sent?.FunctionName).toBe('guardrail-revert');
    expect(sent?.InvocationType).toBe('RequestResponse');
    expect(new TextDecoder().decode(sent?.Payload as Uint8Array)).toBe('{"guardrail":"retry","maxMessages":1000}');
    expect(RETRY_PAYLOAD).toEqual({ guardrail: 'retry', maxMessages: 1000 });
  });

  it.each([
    [
      'a function error, with its type and message',
      'Unhandled',
      bytes({ errorType: 'TypeError', errorMessage: 'x is undefined' }),
      'the function failed (Unhandled): TypeError: x is undefined',
    ],
    ['a function error without a body', 'Unhandled', undefined, 'the function failed (Unhandled)'],
    [
      'an older function, which answers as to an SQS batch',
      undefined,
      bytes({ batchItemFailures: [], results: [{ decisions: [] }] }),
      /older than this guardrail \(run guardrail deploy for these accounts, then retry\)/,
    ],
    [
      'an older function, which refuses it',
      undefined,
      bytes({ eventId: null, decisions: [{ action: 'refused', reason: "not a message of this function's queue" }] }),
      /older than this guardrail/,
    ],
    ['a count missing', undefined, bytes({ retry: { received: 1, reverted: 1 } }), /not a retry report: \{"retry"/],
    ['a count that is not a whole number', undefined, answer({ failed: -1 }), /not a retry report/],
    [
      'not JSON, control characters shown as ?',
      undefined,
      bytes('oops\u001b[31m'),
      "the function's answer is not a retry report: oops?[31m",
    ],
    ['nothing at all', undefined, undefined, "the function's answer is not a retry report: (empty)"],
  ])('%s is a failure with the reason', (_name, functionError, payload, reason) => {
    const a = readRetryAnswer(functionError, payload);
    expect(a.kind).toBe('failed');
    if (a.kind === 'failed') expect(a.reason).toMatch(reason);
  });
});

// ---- the shared pipeline, on a configuration's accounts list (no Organizations) ---------------------------------

interface Place {
  depth: number;
  deployed?: boolean;
  reply?: () => unknown;
}

/** A session whose clients answer from `places` (by account), recording each Invoke. */
function fakeSession(places: Record<string, Place>, invoked: string[]): Session {
  const clients = (account: string) => ({
    cloudformation: fake<CloudFormationClient>((c) => {
      expect(c).toBeInstanceOf(DescribeStacksCommand);
      if (places[account]!.deployed === false)
        throw Object.assign(new Error('Stack with id guardrail does not exist'), { name: 'ValidationError' });
      return {
        Stacks: [
          {
            StackName: 'guardrail',
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: [
              { OutputKey: 'FunctionName', OutputValue: 'guardrail-revert' },
              { OutputKey: 'DeadLetterQueueUrl', OutputValue: `https://sqs.us-east-1.amazonaws.com/${account}/dlq` },
            ],
          },
        ],
      };
    }),
    sqs: () =>
      Promise.resolve(
        fake<SQSClient>(() => ({
          Attributes: {
            ApproximateNumberOfMessages: String(places[account]!.depth),
            ApproximateNumberOfMessagesNotVisible: '0',
          },
        })),
      ),
    lambda: () =>
      Promise.resolve(
        fake<LambdaClient>((c) => {
          expect(c).toBeInstanceOf(InvokeCommand);
          invoked.push(account);
          return places[account]!.reply!();
        }),
      ),
  });
  return {
    identity: { account: '999999999999', arn: 'arn:aws:iam::999999999999:root', userId: 'x' },
    broker: { check: () => Promise.resolve() },
    clients,
    release: () => undefined,
  } as unknown as Session;
}

function configFor(accounts: string[]) {
  const config = defaultConfig();
  config.regions = ['us-east-1'];
  config.accounts = accounts.map((id) => ({ id, name: `team-${id.slice(-1)}` }));
  return config;
}

async function run(places: Record<string, Place>, confirm: (plan: RetryPlan) => boolean = () => true) {
  const invoked: string[] = [];
  const events: RunEvent[] = [];
  const plans: RetryPlan[] = [];
  const report = await retryReverts(
    {
      session: fakeSession(places, invoked),
      config: configFor(Object.keys(places)),
      selectedAccounts: null,
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
      confirm: (plan) => {
        plans.push(plan);
        return Promise.resolve(confirm(plan));
      },
    },
    directPlaces,
  );
  const byAccount = new Map(report.targets.map((r) => [r.account, r]));
  return { report, byAccount, invoked, events, plans };
}

describe('retry, the pipeline both engines share', () => {
  it('per target: nothing waiting, reverted, a function error, another shape, still failing, not deployed', async () => {
    const { report, byAccount, invoked, events, plans } = await run({
      '111111111111': { depth: 0 },
      '111111111112': { depth: 1, reply: () => ({ StatusCode: 200, Payload: answer({ received: 1, reverted: 1 }) }) },
      '111111111113': {
        depth: 2,
        reply: () => ({
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: bytes({ errorType: 'Error', errorMessage: 'boom' }),
        }),
      },
      '111111111114': { depth: 1, reply: () => ({ StatusCode: 200, Payload: bytes({ ok: true }) }) },
      '111111111115': {
        depth: 3,
        reply: () => ({
          StatusCode: 200,
          Payload: answer({ received: 3, reverted: 1, ignored: 1, failed: 1, remaining: 1 }),
        }),
      },
      '111111111116': { depth: 0, deployed: false },
    });
    expect(invoked.sort()).toEqual(['111111111112', '111111111113', '111111111114', '111111111115']);
    expect(plans).toEqual([
      {
        accounts: ['111111111112', '111111111113', '111111111114', '111111111115'].map((id) => ({
          id,
          name: `team-${id.slice(-1)}`,
        })),
        regions: ['us-east-1'],
        targets: 4,
        events: 7,
      },
    ]);
    expect(byAccount.get('111111111111')).toMatchObject({
      result: 'unchanged',
      action: 'none',
      reason: 'nothing waiting',
      pendingReverts: 0,
    });
    expect(byAccount.get('111111111112')).toMatchObject({
      result: 'succeeded',
      action: 'retry',
      pendingReverts: 1,
      retried: 1,
      reverted: 1,
      stillFailing: 0,
      reason: 'retried 1 · reverted 1 · ignored 0 · allowed 0',
      error: null,
    });
    expect(byAccount.get('111111111113')).toMatchObject({
      result: 'failed',
      error: 'the function failed (Unhandled): Error: boom',
      retried: null,
    });
    expect(byAccount.get('111111111114')?.error).toBe('the function\'s answer is not a retry report: {"ok":true}');
    expect(byAccount.get('111111111115')).toMatchObject({ result: 'failed', retried: 3, reverted: 1, stillFailing: 2 });
    expect(byAccount.get('111111111115')?.error).toMatch(
      /^2 event\(s\) still not undone \(1 failed again, 1 left in the queue/,
    );
    expect(byAccount.get('111111111116')).toMatchObject({ result: 'unchanged', reason: 'not deployed' });
    expect(report.summary).toMatchObject({
      targets: 6,
      succeeded: 1,
      unchanged: 2,
      failed: 3,
      pendingReverts: 7,
      retried: 4,
      reverted: 2,
      stillFailing: 2,
    });
    // every target reported once
    const done = events.filter((e) => e.type === 'done').map((e) => e.type === 'done' && e.outcome.account);
    expect(done.sort()).toEqual(Object.keys(Object.fromEntries(byAccount)).sort());
  });

  it('an answer whose queue depth the function could not read (remaining -1) is read, and the row fails saying so', async () => {
    const { byAccount } = await run({
      '111111111112': {
        depth: 1,
        reply: () => ({ StatusCode: 200, Payload: answer({ received: 1, reverted: 1, remaining: -1 }) }),
      },
      '111111111113': {
        depth: 1,
        reply: () => ({ StatusCode: 200, Payload: answer({ received: 1, reverted: 1, remaining: -2 }) }),
      },
    });
    expect(byAccount.get('111111111112')).toMatchObject({ result: 'failed', retried: 1, reverted: 1, stillFailing: 0 });
    expect(byAccount.get('111111111112')?.error).toMatch(/could not read its dead-letter queue's depth/);
    expect(byAccount.get('111111111113')?.error).toMatch(/not a retry report/);
  });

  it('nothing waiting anywhere: no confirmation, no Invoke', async () => {
    const { report, invoked, plans } = await run({ '111111111111': { depth: 0 }, '111111111112': { depth: 0 } });
    expect([invoked, plans]).toEqual([[], []]);
    expect(report.summary).toMatchObject({ targets: 2, unchanged: 2, retried: 0 });
    expect(report.stoppedBy).toBeNull();
  });

  it('not confirmed: the targets with events waiting are skipped, and no function is invoked', async () => {
    const { report, byAccount, invoked } = await run(
      {
        '111111111111': { depth: 0 },
        '111111111112': {
          depth: 4,
          reply: () => {
            throw new Error('invoked');
          },
        },
      },
      () => false,
    );
    expect(invoked).toEqual([]);
    expect(report.stoppedBy).toBe('declined');
    expect(byAccount.get('111111111112')).toMatchObject({
      result: 'skipped',
      reason: 'not confirmed',
      pendingReverts: 4,
    });
  });
});
