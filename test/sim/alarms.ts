// CloudWatch metric alarms, as AWS::CloudWatch::Alarm creates them (the properties of PutMetricAlarm), evaluated on
// the simulated clock: every move of the clock is one evaluation, whose datapoint covers the time since the one
// before. There is no CloudWatch API (the project has no CloudWatch client to speak to it): alarms are made by
// CloudFormation and read from GET /_sim/state. The metrics are computed from the simulator's own state:
//   - AWS/SQS ApproximateNumberOfMessagesVisible and ApproximateNumberOfMessagesNotVisible (dimension QueueName):
//     the queue's count at the end of the period; no datapoint when the queue does not exist;
//   - AWS/Lambda Errors, Throttles and Invocations (dimension FunctionName): the period's failed invocations,
//     throttled ones and all of them; no datapoint when the function was neither invoked nor throttled in it, as
//     Lambda sends no datapoint then.
// Any other metric has no data. A state change runs the new state's actions: an SNS topic gets CloudWatch's
// notification (the JSON AWS's own Lambda event samples show, aws/aws-lambda-go events/testdata
// cloudwatch-alarm-sns-payload-single-metric.json), with the subject `ALARM: "NAME" in REGION NAME`.
import type { ServiceContext } from './types.js';
import type { MetricAlarm, RegionState, SimState } from './state.js';
import { queueSummary } from './services/sqs.js';

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'Europe (Ireland)',
  'eu-west-2': 'Europe (London)',
  'eu-central-1': 'Europe (Frankfurt)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
};

export const COMPARISONS = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];
export const MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'];

/** Registers the evaluation on the simulated clock, after the schedules and the SQS redeliveries a move causes. */
export function startAlarms(ctx: ServiceContext): void {
  ctx.state.clock.onAdvance((_from, to) => evaluateAlarms(ctx.state, to));
}

/** Evaluates every alarm at `now`; returns how many changed state. */
export function evaluateAlarms(state: SimState, now: number): number {
  let changed = 0;
  for (const acct of state.accounts.values()) {
    for (const rs of acct.regions.values()) {
      for (const alarm of rs.alarms?.values() ?? []) if (evaluate(state, rs, alarm, now)) changed++;
    }
  }
  return changed;
}

function dimension(alarm: MetricAlarm, name: string): string | undefined {
  return alarm.dimensions.find((d) => d.name === name)?.value;
}

/** The metric's value over (from, to], or null when there is no datapoint. */
function datapoint(rs: RegionState, alarm: MetricAlarm, from: number, to: number): number | null {
  if (alarm.namespace === 'AWS/SQS') {
    const queue = rs.queues.get(dimension(alarm, 'QueueName') ?? '');
    if (!queue) return null;
    const counts = queueSummary(queue, to);
    if (alarm.metricName === 'ApproximateNumberOfMessagesVisible') return counts.visible ?? 0;
    if (alarm.metricName === 'ApproximateNumberOfMessagesNotVisible') return counts.inFlight ?? 0;
    return null;
  }
  if (alarm.namespace === 'AWS/Lambda') {
    const fn = rs.functions.get(dimension(alarm, 'FunctionName') ?? '');
    if (!fn) return null;
    const within = (iso: string) => {
      const t = Date.parse(iso);
      return t > from && t <= to;
    };
    const invocations = rs.invocations.filter((i) => i.functionArn === fn.functionArn && within(i.startedAt));
    const throttles = (rs.throttles ?? []).filter((t) => t.functionArn === fn.functionArn && within(t.at));
    if (invocations.length === 0 && throttles.length === 0) return null;
    if (alarm.metricName === 'Errors') return invocations.filter((i) => i.status === 'failed').length;
    if (alarm.metricName === 'Throttles') return throttles.length;
    if (alarm.metricName === 'Invocations') return invocations.length;
    return null;
  }
  return null;
}

function breaches(alarm: MetricAlarm, value: number): boolean {
  switch (alarm.comparisonOperator) {
    case 'GreaterThanThreshold':
      return value > alarm.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    default:
      return value <= alarm.threshold;
  }
}

/** CloudWatch's time format in notifications: 2015-06-03T17:43:27.123+0000. */
const cloudwatchTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

function evaluate(state: SimState, rs: RegionState, alarm: MetricAlarm, now: number): boolean {
  const from = alarm.evaluatedAt ?? Date.parse(alarm.stateUpdatedAt);
  if (now <= from) return false;
  alarm.evaluatedAt = now;
  alarm.datapoints = [...alarm.datapoints, datapoint(rs, alarm, from, now)].slice(-alarm.evaluationPeriods);
  const needed = alarm.datapointsToAlarm ?? alarm.evaluationPeriods;
  const considered = alarm.datapoints.flatMap((d): ('breaching' | 'ok')[] => {
    if (d !== null) return [breaches(alarm, d) ? 'breaching' : 'ok'];
    if (alarm.treatMissingData === 'breaching') return ['breaching'];
    if (alarm.treatMissingData === 'notBreaching') return ['ok'];
    return [];
  });
  const breaching = considered.filter((c) => c === 'breaching').length;
  let next: MetricAlarm['state'];
  if (breaching >= needed) next = 'ALARM';
  else if (considered.length > 0) next = 'OK';
  else if (alarm.treatMissingData === 'ignore') next = alarm.state;
  else next = 'INSUFFICIENT_DATA';
  if (next === alarm.state) return false;
  const shown = alarm.datapoints.map((d) => (d === null ? 'missing' : d.toFixed(1))).join(', ');
  const old = alarm.state;
  alarm.state = next;
  alarm.stateUpdatedAt = new Date(now).toISOString();
  alarm.stateReason =
    next === 'INSUFFICIENT_DATA'
      ? 'Insufficient Data: no datapoints were received for the evaluated periods.'
      : `Threshold Crossed: ${breaching} out of the last ${alarm.datapoints.length} datapoints [${shown}] ${next === 'ALARM' ? 'was' : 'was not'} ` +
        `${comparisonText(alarm.comparisonOperator)} the threshold (${alarm.threshold.toFixed(1)}) (minimum ${needed} datapoint${needed === 1 ? '' : 's'} for OK -> ALARM transition).`;
  if (alarm.actionsEnabled) notify(state, rs, alarm, old, now);
  return true;
}

function comparisonText(op: string): string {
  return (
    {
      GreaterThanThreshold: 'greater than',
      GreaterThanOrEqualToThreshold: 'greater than or equal to',
      LessThanThreshold: 'less than',
    }[op] ?? 'less than or equal to'
  );
}

function notify(state: SimState, rs: RegionState, alarm: MetricAlarm, old: MetricAlarm['state'], now: number): void {
  const actions =
    alarm.state === 'ALARM'
      ? alarm.alarmActions
      : alarm.state === 'OK'
        ? alarm.okActions
        : alarm.insufficientDataActions;
  const region = REGION_NAMES[rs.region] ?? rs.region;
  const message = JSON.stringify({
    AlarmName: alarm.name,
    AlarmDescription: alarm.description ?? null,
    AWSAccountId: rs.accountId,
    NewStateValue: alarm.state,
    NewStateReason: alarm.stateReason,
    StateChangeTime: cloudwatchTime(now),
    Region: region,
    AlarmArn: alarm.arn,
    OldStateValue: old,
    Trigger: {
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      StatisticType: 'Statistic',
      Statistic: alarm.statistic.toUpperCase(),
      Unit: null,
      Dimensions: alarm.dimensions.map((d) => ({ value: d.value, name: d.name })),
      Period: alarm.period,
      EvaluationPeriods: alarm.evaluationPeriods,
      ComparisonOperator: alarm.comparisonOperator,
      Threshold: alarm.threshold,
      TreatMissingData: `- TreatMissingData: ${alarm.treatMissingData}`,
      EvaluateLowSampleCountPercentile: '',
    },
  });
  const subject = `${alarm.state}: "${alarm.name}" in ${region}`.slice(0, 100);
  for (const arn of actions) {
    const [, , service, topicRegion, account] = arn.split(':');
    if (service !== 'sns') continue;
    const target = state.accounts.get(account ?? '')?.regions.get(topicRegion ?? '');
    // CloudWatch publishes as its service principal; a topic in another account would need its policy to allow it
    if (!target || account !== rs.accountId || ![...target.topics.values()].some((t) => t.arn === arn)) continue;
    target.snsMessages.push({
      topicArn: arn,
      messageId: state.random.ids.uuid(),
      subject,
      message,
      publishedBy: 'cloudwatch.amazonaws.com',
      at: new Date(now).toISOString(),
    });
  }
}
