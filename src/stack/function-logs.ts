// Reading the revert function's decision lines from its CloudWatch log group (the template's FunctionLogGroup).
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { paginateFilterLogEvents, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { isStackMissing } from './cfn-errors.js';

/** The template names it `/aws/lambda/${AWS::StackName}-revert`. */
export function functionLogGroupName(stackName: string): string {
  return `/aws/lambda/${stackName}-revert`;
}

export interface LogQuery {
  startTime: number;
  endTime: number;
  filterPattern: string;
}

export type LogRead =
  | { kind: 'read'; events: { message: string; timestamp: number }[] }
  | { kind: 'not-deployed' }
  | { kind: 'no-log-group'; logGroup: string };

/**
 * Every event of the window that matches the pattern, over all pages. A missing log group is "not deployed" when
 * the stack is missing too, and a finding of its own when the stack is there.
 */
export async function readFunctionLogs(logs: CloudWatchLogsClient, cfn: CloudFormationClient, stackName: string,
  q: LogQuery, signal: AbortSignal): Promise<LogRead> {
  const logGroupName = functionLogGroupName(stackName);
  const events: { message: string; timestamp: number }[] = [];
  try {
    const pages = paginateFilterLogEvents({ client: logs }, { logGroupName, startTime: q.startTime, endTime: q.endTime, filterPattern: q.filterPattern });
    for await (const page of pages) {
      for (const e of page.events ?? []) if (typeof e.message === 'string') events.push({ message: e.message, timestamp: e.timestamp ?? 0 });
      if (signal.aborted) break;
    }
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
    try {
      await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (e) {
      if (isStackMissing(e)) return { kind: 'not-deployed' };
      throw e;
    }
    return { kind: 'no-log-group', logGroup: logGroupName };
  }
  return { kind: 'read', events };
}
