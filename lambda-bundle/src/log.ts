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
  approved: 'info',
  expired: 'warn',
  forged: 'warn',
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
    // approved, expired and forged: the approval (an unknown approver or expiry is left out of the JSON line)
    ...(d.approvalId && { approvalId: d.approvalId, approver: d.approver, expiresAt: d.expiresAt }),
  };
}

export const consoleSink: LogSink = (line) => {
  console.log(JSON.stringify(line));
};
