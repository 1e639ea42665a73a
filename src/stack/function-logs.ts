// Reading the revert function's decision lines from its CloudWatch log groups. The template's FunctionLogGroup is
// named by CloudFormation (`<stack>-FunctionLogGroup-<suffix>`; for a StackSets instance the stack is
// `StackSet-<name>-<uuid>`), named in the stack's DecisionLogGroup output, and kept when the stack is removed or the
// group replaced: a target's decisions are in the current group and in any kept one, of either engine's stacks, so
// all of them are read.
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { isStackMissing } from './cfn-errors.js';

/** The prefix CloudFormation gives the generated name of the template's FunctionLogGroup. */
export function functionLogGroupPrefix(stackName: string): string {
  return `${stackName}-FunctionLogGroup-`;
}

export interface LogQuery {
  startTime: number;
  /** undefined: to the end of the log */
  endTime?: number;
  filterPattern: string;
}

export type LogRead =
  | { kind: 'read'; groups: string[]; events: { message: string; timestamp: number }[] }
  | { kind: 'not-deployed' }
  | { kind: 'no-log-group'; logGroup: string | null };

/** The stack's DecisionLogGroup output; null without the stack, undefined when the stack has no such output. */
async function stackLogGroup(cfn: CloudFormationClient, stackName: string): Promise<string | null | undefined> {
  try {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    return stack?.Outputs?.find((o) => o.OutputKey === 'DecisionLogGroup')?.OutputValue;
  } catch (err) {
    if (isStackMissing(err)) return null;
    throw err;
  }
}

/** Where one engine's stacks keep their decision logs in a target (engines/index.ts `stacksFor`). */
export interface LogPlace {
  /** the stack's name, when it is known in every target (null: found by its log groups only) */
  stackName: string | null;
  logGroups: { prefix: string; test(name: string): boolean };
}

async function keptLogGroups(logs: CloudWatchLogsClient, groups: LogPlace['logGroups']): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: groups.prefix })) {
    for (const g of page.logGroups ?? []) if (g.logGroupName && groups.test(g.logGroupName)) names.push(g.logGroupName);
  }
  return names;
}

/**
 * Every event of the window that matches the pattern, from the log groups of every place (each engine's stacks,
 * current and kept), each group read once. No stack and no group anywhere: not deployed. A stack whose log group
 * is gone is a finding of its own.
 */
export async function readFunctionLogs(
  logs: CloudWatchLogsClient,
  cfn: CloudFormationClient,
  places: readonly LogPlace[],
  q: LogQuery,
  signal: AbortSignal,
): Promise<LogRead> {
  const groups = new Set<string>();
  let stacks = 0;
  for (const place of places) {
    const current = place.stackName === null ? null : await stackLogGroup(cfn, place.stackName);
    const kept = await keptLogGroups(logs, place.logGroups);
    if (current && !kept.includes(current)) return { kind: 'no-log-group', logGroup: current };
    if (current !== null) stacks++;
    for (const g of kept) groups.add(g);
  }
  if (groups.size === 0) return stacks > 0 ? { kind: 'no-log-group', logGroup: null } : { kind: 'not-deployed' };
  const events: { message: string; timestamp: number }[] = [];
  for (const logGroupName of groups) {
    const pages = paginateFilterLogEvents(
      { client: logs },
      {
        logGroupName,
        startTime: q.startTime,
        ...(q.endTime === undefined ? {} : { endTime: q.endTime }),
        filterPattern: q.filterPattern,
      },
    );
    for await (const page of pages) {
      for (const e of page.events ?? [])
        if (typeof e.message === 'string') events.push({ message: e.message, timestamp: e.timestamp ?? 0 });
      if (signal.aborted) return { kind: 'read', groups: [...groups], events };
    }
  }
  return { kind: 'read', groups: [...groups], events };
}
