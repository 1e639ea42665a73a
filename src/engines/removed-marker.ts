// guardrail remove's marker: a tag on the account in AWS Organizations, `guardrail:removed:<stackName>` =
// "<ISO time> <region> <region> …" (or "<ISO time> all" when the regions do not fit in a tag value), saying that
// guardrail itself removed its stacks there. status calls such a target `removed` (not unhealthy) while its stack is
// missing; deploy lifts the marker when it creates a stack in the account again.
//
// Why Organizations: only the management account (or an administrator it delegates Organizations to) can tag an
// account. A member account's administrator, who could delete the stack and recreate any kept log group or leave
// any resource of their own, cannot write this marker, so cannot make a deleted stack pass for a removed one.
import { ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-organizations';
import { describeError } from '../aws/describe-error.js';
import type { Session } from '../fleet/session.js';
import type { TargetResult } from '../fleet/results.js';

const TAG_VALUE_LIMIT = 256;

export function removedTagKey(stackName: string): string {
  return `guardrail:removed:${stackName}`;
}

/** The marker's value: the time, then the regions removed (or `all` when they do not fit). */
export function markerValue(at: Date, regions: readonly string[]): string {
  const value = `${at.toISOString()} ${[...regions].sort().join(' ')}`;
  return value.length <= TAG_VALUE_LIMIT ? value : `${at.toISOString()} all`;
}

/** The marker's time when it covers `region`, else null (a value guardrail did not write covers nothing). */
export function markerCovers(value: string | undefined, region: string): string | null {
  if (!value) return null;
  const [at, ...regions] = value.split(' ');
  if (!at || Number.isNaN(Date.parse(at)) || regions.length === 0) return null;
  return regions.includes('all') || regions.includes(region) ? at : null;
}

/**
 * Reads the marker of each account once, when first asked (only for targets whose stack is missing, so a deployed
 * organisation costs no call). A marker that cannot be read is no marker: the target stays `not deployed`.
 */
export type RemovedMarkers = (account: string, region: string) => Promise<string | null>;

export function removedMarkers(session: Session, stackName: string): RemovedMarkers {
  const byAccount = new Map<string, Promise<string | undefined>>();
  const key = removedTagKey(stackName);
  return async (account, region) => {
    let value = byAccount.get(account);
    if (!value) {
      value = session
        .organizations()
        .send(new ListTagsForResourceCommand({ ResourceId: account }))
        .then(
          (out) => out.Tags?.find((t) => t.Key === key)?.Value,
          () => undefined,
        );
      byAccount.set(account, value);
    }
    return markerCovers(await value, region);
  };
}

export interface MarkerRow extends Pick<TargetResult, 'account' | 'region' | 'result' | 'action'> {
  reason?: string;
  /** CloudFormation's DeletionTime of the stack deleted (direct engine) */
  deletedAt?: string | null;
}

/**
 * After a remove: marks each account all of whose targets are now without the stack (deleted, or already absent).
 * Returns the notes to print: accounts it could not mark.
 */
export async function markRemoved(
  session: Session,
  stackName: string,
  rows: readonly MarkerRow[],
  now = new Date(),
): Promise<string[]> {
  const byAccount = new Map<string, MarkerRow[]>();
  for (const r of rows) byAccount.set(r.account, [...(byAccount.get(r.account) ?? []), r]);
  const done = [...byAccount].filter(([, list]) =>
    list.every((r) => r.result === 'succeeded' || r.result === 'unchanged'),
  );
  const notes: string[] = [];
  for (const [account, list] of done) {
    // the latest DeletionTime CloudFormation gave (AWS's clock, as status compares it with), else the caller's clock
    const times = list
      .map((r) => r.deletedAt)
      .filter((t): t is string => typeof t === 'string')
      .sort();
    const at = times.length > 0 ? new Date(times[times.length - 1]!) : now;
    try {
      await session.organizations().send(
        new TagResourceCommand({
          ResourceId: account,
          Tags: [{ Key: removedTagKey(stackName), Value: markerValue(at, [...new Set(list.map((r) => r.region))]) }],
        }),
      );
    } catch (err) {
      notes.push(
        `Could not mark account ${account} as removed in Organizations (${describeError(err)}): status will report it not deployed.`,
      );
    }
  }
  return notes;
}

/** After either engine's remove: the marker on every account it emptied (not after a declined or interrupted run). */
export async function markAfterRemove<R extends { stoppedBy: string | null; notes: string[]; targets: MarkerRow[] }>(
  input: { session: Session; config: { stackName: string } },
  report: R,
): Promise<R> {
  if (report.stoppedBy) return report;
  const deleted = report.targets.filter((r) => r.result === 'succeeded');
  if (deleted.length === 0) return report;
  // only accounts this run deleted something in: an account where nothing was there stays as it is
  const accounts = new Set(deleted.map((r) => r.account));
  report.notes.push(
    ...(await markRemoved(
      input.session,
      input.config.stackName,
      report.targets.filter((r) => accounts.has(r.account)),
    )),
  );
  return report;
}
