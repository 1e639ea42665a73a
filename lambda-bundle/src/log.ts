// One JSON line per decision, with stable keys, so log queries and metric filters can rely on them.
import type { Action, Decision, EventMeta } from './types.js';

export type LogLine = Record<string, unknown>;
export type LogSink = (line: LogLine) => void;

const LEVELS: Record<Action, 'info' | 'warn' | 'error'> = {
  ignored: 'info',
  allowed: 'info',
  monitored: 'warn',
  reverted: 'warn',
  failed: 'error',
};

export function decisionLine(meta: EventMeta, d: Decision): LogLine {
  return {
    level: LEVELS[d.action],
    eventId: meta.eventId,
    account: meta.account,
    region: meta.region,
    groupId: d.groupId,
    ruleIds: d.ruleIds,
    direction: d.direction,
    action: d.action,
    reason: d.reason,
  };
}

export const consoleSink: LogSink = (line) => {
  console.log(JSON.stringify(line));
};
