// Reading the revert function's decision lines from its CloudWatch log groups. The template's FunctionLogGroup is
// named by CloudFormation (`<stack>-FunctionLogGroup-<suffix>`), named in the stack's DecisionLogGroup output, and
// kept when the stack is removed or the group replaced: a target's decisions are in the current group and in any
// kept one, so all of them are read.
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { paginateDescribeLogGroups, paginateFilterLogEvents, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { isStackMissing } from './cfn-errors.js';

/** The prefix CloudFormation gives the generated name of the template's FunctionLogGroup. */
export function functionLogGroupPrefix(stackName: string): string {
  return `${stackName}-FunctionLogGroup-`;
}

export interface LogQuery {
  startTime: number;
  endTime: number;
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

async function keptLogGroups(logs: CloudWatchLogsClient, stackName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: functionLogGroupPrefix(stackName) })) {
    for (const g of page.logGroups ?? []) if (g.logGroupName) names.push(g.logGroupName);
  }
  return names;
}

/**
 * Every event of the window that matches the pattern, from the stack's log group and every kept one. No stack and no
 * group: not deployed. A stack whose log group is gone is a finding of its own.
 */
export async function readFunctionLogs(logs: CloudWatchLogsClient, cfn: CloudFormationClient, stackName: string,
  q: LogQuery, signal: AbortSignal): Promise<LogRead> {
  const current = await stackLogGroup(cfn, stackName);
  const kept = await keptLogGroups(logs, stackName);
  if (current && !kept.includes(current)) return { kind: 'no-log-group', logGroup: current };
  if (current === null && kept.length === 0) return { kind: 'not-deployed' };
  if (kept.length === 0) return { kind: 'no-log-group', logGroup: null };
  const events: { message: string; timestamp: number }[] = [];
  for (const logGroupName of kept) {
    const pages = paginateFilterLogEvents({ client: logs }, { logGroupName, startTime: q.startTime, endTime: q.endTime, filterPattern: q.filterPattern });
    for await (const page of pages) {
      for (const e of page.events ?? []) if (typeof e.message === 'string') events.push({ message: e.message, timestamp: e.timestamp ?? 0 });
      if (signal.aborted) return { kind: 'read', groups: kept, events };
    }
  }
  return { kind: 'read', groups: kept, events };
}
