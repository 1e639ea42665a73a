// The result of one target, as every command reports it (the JSON contract), and the summary counts.
import type { FailedResource } from '../stack/deploy-stack.js';
import { levelOf, type Place, type TargetOutcome } from './events.js';

/** what a target's row did: deploy creates or updates, remove deletes, retry asks the function to retry */
export type ContractAction = 'create' | 'update' | 'none' | 'delete' | 'retry';
export type TargetResultKind = 'succeeded' | 'unchanged' | 'failed' | 'skipped' | 'planned';

export interface TargetResult {
  account: string;
  accountName: string;
  region: string;
  stackName: string;
  action: ContractAction;
  result: TargetResultKind;
  stackStatus: string | null;
  error: string | null;
  durationMs: number;
  /** why this action: "stack missing", "template version changed a → b", … */
  reason: string;
  changes?: string[];
  firstFailure?: FailedResource;
  trail?: string;
}

/** What progress shows of a result row. */
export function resultOutcome(r: TargetResult): TargetOutcome {
  return {
    account: r.account,
    accountName: r.accountName,
    region: r.region,
    code: r.result,
    level: levelOf(r.result),
    action: r.action,
    stackStatus: r.stackStatus,
    message: r.error,
    durationMs: r.durationMs,
  };
}

/** The row of a target no work ran on: its account could not be expanded (`error`), or it was skipped. */
export function blankResult(
  p: Place,
  stackName: string,
  why: { error: string; reason?: string } | { skipped: string },
  action: ContractAction = 'none',
): TargetResult {
  return {
    account: p.account,
    accountName: p.accountName,
    region: p.region,
    stackName,
    action,
    stackStatus: null,
    durationMs: 0,
    ...('error' in why
      ? { result: 'failed', error: why.error, reason: why.reason ?? '' }
      : { result: 'skipped', error: null, reason: why.skipped }),
  };
}

export interface Summary {
  targets: number;
  succeeded: number;
  unchanged: number;
  failed: number;
  skipped: number;
  planned: number;
  excludedAccounts: number;
}

export function summarise(results: TargetResult[], excludedAccounts: number): Summary {
  const count = (k: TargetResultKind) => results.filter((r) => r.result === k).length;
  return {
    targets: results.length,
    succeeded: count('succeeded'),
    unchanged: count('unchanged'),
    failed: count('failed'),
    skipped: count('skipped'),
    planned: count('planned'),
    excludedAccounts,
  };
}

/** Results in a stable order: by account, then region. */
export function order(results: TargetResult[]): TargetResult[] {
  return [...results].sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
}
