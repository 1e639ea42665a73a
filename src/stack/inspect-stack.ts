// Inspecting one target for `status`: is the stack there and current, does the function run the current code, is
// the rule enabled, are events waiting in the dead-letter queue (reverts that failed), and has anyone changed the
// resources (CloudFormation drift detection).
import {
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { PollTimer } from '../aws/poll-timer.js';
import { DEAD_LETTER_QUEUE_OUTPUT, queueDepth } from './dead-letters.js';
import { describeStack, stackSettingsDigest, stackVersion } from './deploy-stack.js';
import { isDeploySuccess } from './stack-status.js';

export type DriftState = 'IN_SYNC' | 'DRIFTED' | 'NOT_CHECKED' | 'UNKNOWN';

export interface DriftedResource {
  logicalId: string;
  type: string;
  status: string;
  differences: { path: string; expected: string; actual: string; kind?: string }[];
}

export interface Inspection {
  deployed: boolean;
  stackStatus: string | null;
  /** the version tag on the stack */
  stackVersion: string | null;
  /** the settings digest tag on the stack (null: none) */
  settingsDigest?: string | null;
  functionName: string | null;
  codeSha256: string | null;
  rule: 'ENABLED' | 'DISABLED' | 'missing' | 'unknown';
  ruleError?: string;
  codeError?: string;
  /** messages in the dead-letter queue (waiting and in flight): events not undone; null when it could not be read */
  pendingReverts: number | null;
  pendingRevertsError?: string;
  drift: DriftState;
  driftReason?: string;
  driftedResources: DriftedResource[];
  notCheckedResources: string[];
  /** the stack's EnableTerminationProtection, when deployed */
  terminationProtection?: boolean;
}

export interface InspectContext {
  cfn: CloudFormationClient;
  /** made only when the stack exists, so a target in flight holds one client until then */
  lambda: () => Promise<LambdaClient>;
  events: () => Promise<EventBridgeClient>;
  sqs: () => Promise<SQSClient>;
  timer: PollTimer;
  /** give up waiting for drift detection after this long */
  driftDeadlineMs: number;
  drift: boolean;
}

function output(stack: Stack, key: string): string | null {
  return stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue ?? null;
}

const errorText = (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`;

export async function inspectStack(ctx: InspectContext, stackName: string): Promise<Inspection> {
  const stack = await describeStack(ctx.cfn, stackName);
  if (!stack) {
    return {
      deployed: false,
      stackStatus: null,
      stackVersion: null,
      functionName: null,
      codeSha256: null,
      rule: 'missing',
      pendingReverts: null,
      drift: 'NOT_CHECKED',
      driftedResources: [],
      notCheckedResources: [],
    };
  }
  const functionName = output(stack, 'FunctionName') ?? `${stackName}-revert`;
  const ruleName = output(stack, 'RuleName') ?? `${stackName}-sg-changes`;
  const queueUrl = output(stack, DEAD_LETTER_QUEUE_OUTPUT);
  const [code, rule, pending, drift] = await Promise.all([
    ctx
      .lambda()
      .then((l) => l.send(new GetFunctionCommand({ FunctionName: functionName })))
      .then(
        (f) => ({ sha: f.Configuration?.CodeSha256 ?? null }),
        (err: unknown) => ({ sha: null, error: errorText(err) }),
      ),
    ctx
      .events()
      .then((e) => e.send(new DescribeRuleCommand({ Name: ruleName })))
      .then(
        (r) => ({
          state: (r.State === 'DISABLED' ? 'DISABLED' : r.State ? 'ENABLED' : 'unknown') as Inspection['rule'],
        }),
        (err: unknown) => ({
          state: ((err as Error).name === 'ResourceNotFoundException' ? 'missing' : 'unknown') as Inspection['rule'],
          error: errorText(err),
        }),
      ),
    // one call, beside the others: the queue the stack names (a stack without the output cannot say)
    queueUrl
      ? ctx
          .sqs()
          .then((q) => queueDepth(q, queueUrl))
          .then(
            (n) => ({ n }),
            (err: unknown) => ({ n: null, error: errorText(err) }),
          )
      : Promise.resolve({ n: null, error: `the stack has no ${DEAD_LETTER_QUEUE_OUTPUT} output` }),
    ctx.drift && isDeploySuccess(stack.StackStatus)
      ? detectDrift(ctx, stack.StackId!)
      : Promise.resolve<DriftResult>({
          drift: 'NOT_CHECKED',
          driftedResources: [],
          notCheckedResources: [],
          ...(ctx.drift ? { driftReason: `not checked in ${stack.StackStatus}` } : {}),
        }),
  ]);
  return {
    deployed: true,
    stackStatus: stack.StackStatus ?? null,
    stackVersion: stackVersion(stack),
    settingsDigest: stackSettingsDigest(stack),
    terminationProtection: stack.EnableTerminationProtection === true,
    functionName,
    codeSha256: code.sha,
    ...('error' in code && code.error ? { codeError: code.error } : {}),
    rule: rule.state,
    ...('error' in rule && rule.error ? { ruleError: rule.error } : {}),
    pendingReverts: pending.n,
    ...('error' in pending && pending.error ? { pendingRevertsError: pending.error } : {}),
    ...drift,
  };
}

type DriftResult = Pick<Inspection, 'drift' | 'driftReason' | 'driftedResources' | 'notCheckedResources'>;

/** DetectStackDrift, then its status with a capped backoff and a deadline, then the resource drifts. Never throws. */
export async function detectDrift(ctx: InspectContext, stackId: string): Promise<DriftResult> {
  const unknown = (reason: string): DriftResult => ({
    drift: 'UNKNOWN',
    driftReason: reason,
    driftedResources: [],
    notCheckedResources: [],
  });
  try {
    const started = Date.now();
    const { StackDriftDetectionId: id } = await ctx.cfn.send(new DetectStackDriftCommand({ StackName: stackId }));
    if (!id) return unknown('DetectStackDrift returned no detection id');
    const status = await ctx.timer.waitFor('drift', started, async () => {
      const s = await ctx.cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id }));
      if (s.DetectionStatus !== 'DETECTION_IN_PROGRESS') return s;
      if (Date.now() - started > ctx.driftDeadlineMs) return { ...s, DetectionStatus: 'TIMED_OUT' as const };
      return undefined;
    });
    if ((status.DetectionStatus as string) === 'TIMED_OUT')
      return unknown(`drift detection did not finish within ${Math.round(ctx.driftDeadlineMs / 1000)} s`);
    if (status.DetectionStatus === 'DETECTION_FAILED') {
      return unknown(`drift detection failed: ${status.DetectionStatusReason ?? 'no reason given'}`);
    }
    const driftedResources: DriftedResource[] = [];
    const notCheckedResources: string[] = [];
    let token: string | undefined;
    do {
      // only what the row reports: an in-sync resource's entry carries its whole expected and actual properties,
      // tens of kilobytes a stack to send and parse for nothing (an endpoint that ignores the filter is filtered here)
      const page = await ctx.cfn.send(
        new DescribeStackResourceDriftsCommand({
          StackName: stackId,
          NextToken: token,
          StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED', 'NOT_CHECKED'],
        }),
      );
      for (const d of page.StackResourceDrifts ?? []) {
        const s = d.StackResourceDriftStatus;
        if (s === 'NOT_CHECKED') notCheckedResources.push(d.LogicalResourceId ?? '?');
        else if (s === 'MODIFIED' || s === 'DELETED') {
          driftedResources.push({
            logicalId: d.LogicalResourceId ?? '?',
            type: d.ResourceType ?? '?',
            status: s,
            differences: (d.PropertyDifferences ?? []).map((p) => ({
              path: p.PropertyPath ?? '',
              expected: p.ExpectedValue ?? '',
              actual: p.ActualValue ?? '',
              ...(p.DifferenceType ? { kind: p.DifferenceType } : {}),
            })),
          });
        }
      }
      token = page.NextToken;
    } while (token);
    const drift: DriftState =
      status.StackDriftStatus === 'DRIFTED' || driftedResources.length > 0
        ? 'DRIFTED'
        : status.StackDriftStatus === 'IN_SYNC'
          ? 'IN_SYNC'
          : 'UNKNOWN';
    return {
      drift,
      driftedResources,
      notCheckedResources,
      ...(drift === 'UNKNOWN' ? { driftReason: `stack drift status ${status.StackDriftStatus ?? 'missing'}` } : {}),
    };
  } catch (err) {
    const name = (err as Error).name;
    const hint =
      name === 'UnknownOperationException' || name === 'InvalidAction' || name === 'NotImplemented'
        ? ' (the endpoint does not support drift detection)'
        : '';
    return unknown(`${errorText(err)}${hint}`);
  }
}
