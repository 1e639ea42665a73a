// Where a modified rule's previous definition comes from, in order: guardrail's own record of the rule (the
// stack's table, written when the function kept or restored it, or by `guardrail baseline`); else AWS Config's
// last capture of the group before the event, matched by values; else it is not known, and the reason says why.
// Never from the event: CloudTrail records only the new values of a ModifySecurityGroupRules call, and anything
// else a payload carries is not evidence of anything. The sources sit behind ports, so the decision stays pure.
import { previousFromCapture, type HistoryPort, type ModifiedRule } from './config-history.js';
import { errorCode, isTransient } from './revert.js';
import type { RecordsPort } from './rule-records.js';
import type { Ec2Port, RuleDefinition } from './types.js';

export interface Previous {
  definition: RuleDefinition;
  /** for the reason: guardrail's record (and how it was made), or AWS Config's capture (and when) */
  from: string;
}

export interface Sources {
  ec2: Ec2Port;
  records?: RecordsPort;
  history?: HistoryPort;
}

export interface Found {
  previous: Map<string, Previous>;
  /** why the rest are not known */
  unknown: string;
}

export async function previousDefinitions(
  sources: Sources,
  groupId: string,
  modified: ModifiedRule[],
  eventTime: string | null,
  eventId: string | null,
): Promise<Found> {
  const previous = new Map<string, Previous>();
  const why: string[] = [];
  if (sources.records) {
    const store = sources.records;
    try {
      const records = await Promise.all(modified.map((m) => store.get(groupId, m.ruleId)));
      records.forEach((r, i) => {
        const m = modified[i]!;
        // a record of the other direction is not this rule's (rule ids never move between directions)
        if (r && r.isEgress === m.isEgress)
          previous.set(m.ruleId, { definition: r.definition, from: `guardrail's record (${r.how})` });
      });
      if (previous.size < modified.length) why.push('no guardrail record');
    } catch (err) {
      if (isTransient(err)) throw err;
      why.push(`guardrail's records unreadable (${errorCode(err)})`);
    }
  } else {
    why.push('no rule records');
  }
  const missing = modified.filter((m) => !previous.has(m.ruleId));
  if (missing.length === 0) return { previous, unknown: '' };
  const at = eventTime ? new Date(eventTime) : undefined;
  if (!sources.history || !at || Number.isNaN(at.getTime())) {
    why.push(sources.history ? 'no event time' : 'AWS Config not asked');
    return { previous, unknown: why.join('; ') };
  }
  const capture = await sources.history.groupBefore(groupId, at, eventId ?? undefined);
  if ('none' in capture) {
    why.push(capture.none);
    return { previous, unknown: why.join('; ') };
  }
  let now;
  try {
    now = await sources.ec2.groupRules(groupId);
  } catch (err) {
    if (isTransient(err)) throw err;
    why.push(`cannot list the rules of ${groupId} (${errorCode(err)})`);
    return { previous, unknown: why.join('; ') };
  }
  const matched = previousFromCapture(capture, missing, now);
  const when = new Date(capture.capturedAt).toISOString();
  for (const [ruleId, definition] of matched)
    previous.set(ruleId, { definition, from: `AWS Config's capture of ${when}` });
  if (matched.size < missing.length) why.push(`AWS Config's capture of ${when} does not tell which rule it was`);
  return { previous, unknown: why.join('; ') };
}
