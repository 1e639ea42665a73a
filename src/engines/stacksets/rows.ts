// The stacksets engine reports the same rows as the direct engine: one per account × region, with an action, a
// reason and a result. Here: the plan's rows, and the results of operations folded into them.
import type { StackInstanceSummary, StackSetOperationResultSummary } from '@aws-sdk/client-cloudformation';
import type { TargetResult } from '../../fleet/results.js';
import { keyOf, overrideChange, type AccountPlan, type StackSetPlan } from './plan.js';
import { stackNameOf } from './settings.js';

export interface PlannedRow {
  row: TargetResult;
  plan: AccountPlan;
  /** what this target needs from the operations */
  needs: 'create' | 'update' | 'none';
}

export function instanceStackName(setName: string, inst: StackInstanceSummary | undefined): string {
  return stackNameOf(inst?.StackId) ?? `StackSet-${setName}-(new)`;
}

export function plannedRows(plan: StackSetPlan, setName: string, home: string): PlannedRow[] {
  const out: PlannedRow[] = [];
  for (const p of plan.accounts) {
    for (const region of plan.regions) {
      const inst = plan.instances.get(keyOf(p.account.id, region));
      const base: TargetResult = {
        account: p.account.id,
        accountName: p.account.name,
        region,
        stackName: instanceStackName(setName, inst),
        action: 'none',
        result: 'planned',
        stackStatus: inst?.Status ?? null,
        error: null,
        durationMs: 0,
        reason: '',
        ...(region === home && p.trailReason ? { trail: p.trailReason } : {}),
      };
      if (p.failure) {
        out.push({
          row: { ...base, result: 'failed', error: p.failure, reason: 'could not plan' },
          plan: p,
          needs: 'none',
        });
        continue;
      }
      const [needs, reason] = decide(p, region, plan, home);
      const replaces = p.directStacks.includes(region) ? `; replaces direct stack ${setName} (new before old)` : '';
      out.push({ row: { ...base, action: needs, reason: `${reason}${replaces}` }, plan: p, needs });
    }
  }
  return out;
}

function decide(
  p: AccountPlan,
  region: string,
  plan: StackSetPlan,
  home: string,
): ['create' | 'update' | 'none', string] {
  const override = region === home ? overrideChange(p, plan.defaultCreateTrail) : undefined;
  if (p.missingRegions.includes(region)) {
    return ['create', `no stack instance${override !== undefined ? ` (override CreateTrail=${override})` : ''}`];
  }
  if (plan.setAction === 'update') return ['update', plan.setReason];
  const outdated = p.outdated.find((o) => o.region === region);
  if (outdated) return ['update', outdated.reason];
  if (override !== undefined) return ['update', `override CreateTrail → ${override}`];
  return ['none', 'instance CURRENT'];
}

/**
 * Folds operation results into the rows: the last operation that touched a target decides its result. A target that
 * needed a change and is in no operation's results was not started when the operations stopped early (`stopped`:
 * skipped), and failed when they all ran to the end: StackSets left it out (the same word remove uses).
 */
export function applyResults(
  rows: PlannedRow[],
  results: Map<string, StackSetOperationResultSummary>,
  startedAt: number,
  stopped: boolean,
): TargetResult[] {
  return rows.map(({ row, needs }) => {
    if (row.result === 'failed') return row;
    const r = results.get(keyOf(row.account, row.region));
    const durationMs = Date.now() - startedAt;
    if (!r) {
      if (needs === 'none') return { ...row, result: 'unchanged' as const };
      return stopped
        ? { ...row, result: 'skipped' as const, reason: `${row.reason}; not started` }
        : {
            ...row,
            result: 'failed' as const,
            error: 'not in the results of the stack set operations, which ran to the end',
            durationMs,
          };
    }
    switch (r.Status) {
      case 'SUCCEEDED':
        return { ...row, result: 'succeeded' as const, durationMs };
      case 'CANCELLED':
        return {
          ...row,
          result: 'skipped' as const,
          reason: `cancelled: ${r.StatusReason ?? 'the operation stopped'}`,
        };
      default:
        return {
          ...row,
          result: 'failed' as const,
          error: r.StatusReason ?? `instance ${r.Status ?? 'unknown'}`,
          durationMs,
        };
    }
  });
}

/** The rows' stack names and instance statuses after the operations. */
export function refreshRows(
  rows: TargetResult[],
  instances: Map<string, StackInstanceSummary>,
  setName: string,
): TargetResult[] {
  return rows.map((r) => {
    const inst = instances.get(keyOf(r.account, r.region));
    return inst ? { ...r, stackName: instanceStackName(setName, inst), stackStatus: inst.Status ?? r.stackStatus } : r;
  });
}
