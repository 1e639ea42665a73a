// The SNS message for an event that reverted, monitored or failed something: who, what, where, what was done.
import type { Action, Change, Permission, Principal, Result, RuleValues, SnsPort } from './types.js';

const MAX_LINES = 100;

function ports(protocol: string | undefined, from: number | undefined, to: number | undefined): string {
  if (protocol === '-1' || protocol === undefined) return 'all traffic';
  if (from === undefined) return protocol;
  return from === to || to === undefined ? `${protocol} ${from}` : `${protocol} ${from}-${to}`;
}

function ruleLine(r: RuleValues, prefix: string): string {
  const source =
    r.cidrIpv4 ??
    r.cidrIpv6 ??
    r.prefixListId ??
    (r.referencedGroupId ? `${r.referencedUserId ? `${r.referencedUserId}/` : ''}${r.referencedGroupId}` : '?');
  const desc = r.description ? ` "${r.description}"` : '';
  return `${prefix}${ports(r.ipProtocol, r.fromPort, r.toPort)} ${r.isEgress ? 'to' : 'from'} ${source} (${r.ruleId})${desc}`;
}

function permissionLines(p: Permission, direction: string): string[] {
  const what = ports(p.ipProtocol, p.fromPort, p.toPort);
  const dir = direction === 'egress' ? 'to' : 'from';
  return [
    ...p.ipRanges,
    ...p.ipv6Ranges,
    ...p.prefixListIds,
    ...p.groups.map((g) => `${g.userId ? `${g.userId}/` : ''}${g.groupId ?? g.groupName ?? '?'}`),
  ].map((source) => `${direction} ${what} ${dir} ${source}`);
}

/** Human-readable lines for the rules an event names (for Modify: the rules' new values). */
export function changeLines(change: Change): string[] {
  if (change.kind === 'rule-ids')
    return change.rules.map((r) => ruleLine({ ...r, isEgress: change.direction === 'egress' }, `${change.direction} `));
  if (change.kind === 'modify') return change.rules.map((r) => ruleLine(r, 'modified to '));
  if (change.kind === 'prefix-list')
    return [
      `prefix list ${change.prefixListId} changed${change.fromVersion ? ` from version ${change.fromVersion}` : ''}`,
    ];
  if (change.kind === 'associate') return [`${change.groupId} associated with ${change.vpcId}`];
  if (change.kind === 'attach')
    return [`${change.groupIds.join(', ') || 'no group'} set on ${change.networkInterfaceId ?? change.instanceId}`];
  if (change.kind === 'tags')
    return change.resources.map(
      (r) =>
        `${change.op === 'create' ? 'tagged' : 'untagged'} ${r}: ${change.tags.map((t) => (t.value === undefined ? t.key : `${t.key}=${t.value}`)).join(', ')}`,
    );
  return change.permissions.flatMap((p) => permissionLines(p, change.direction));
}

function clip(lines: string[]): string[] {
  return lines.length <= MAX_LINES ? lines : [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`];
}

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
export function subjectLine(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?').trim();
  return clean.length <= 100 ? clean : `${clean.slice(0, 99)}~`;
}

export interface Notification {
  subject: string;
  message: string;
}

export function buildNotification(
  result: Result,
  principal: Principal,
  change: Change | undefined,
  on: Action[] = ['reverted', 'restored', 'monitored', 'failed', 'approved', 'expired', 'forged', 'refused'],
): Notification | undefined {
  const acted = result.decisions.filter((d) => on.includes(d.action));
  if (acted.length === 0) return undefined;
  const has = (a: string) => acted.some((d) => d.action === a);
  // approved, expired and forged decisions carry the approval (id, approver, expiry) in their reason and the JSON below
  const headline = has('refused')
    ? 'REFUSED an unproven input'
    : has('failed')
      ? 'FAILED to revert'
      : has('reverted') || has('expired') || has('forged')
        ? 'reverted'
        : has('restored')
          ? 'restored'
          : has('approved')
            ? 'kept (approved)'
            : has('monitored')
              ? 'saw (not reverted)'
              : 'allowed';
  const groups = [...new Set(acted.map((d) => d.groupId ?? d.prefixListId ?? '?'))].join(',');
  const who = principal.arn ?? principal.roleArn ?? 'unknown principal';
  const subject = subjectLine(
    `guardrail ${headline} ${result.eventName ?? 'change'} ${groups} ${result.account ?? ''} ${result.region ?? ''}`,
  );
  const message = [
    `guardrail ${headline} a security-group change.`,
    '',
    `Who:   ${who}${principal.roleArn && principal.roleArn !== who ? ` (role ${principal.roleArn})` : ''}${principal.invokedBy ? ` via ${principal.invokedBy}` : ''}`,
    `Call:  ${result.eventName ?? '?'} (event ${result.eventId ?? '?'})`,
    `Where: account ${result.account ?? '?'}, region ${result.region ?? '?'}, group ${groups}`,
    'What:',
    ...clip(change ? changeLines(change) : []).map((l) => `  - ${l}`),
    'Done:',
    ...clip(
      acted.map(
        (d) =>
          `${d.groupId ?? d.prefixListId ?? '?'} ${d.direction ?? ''} ${d.ruleIds.join(',')}: ${d.action} (${d.reason})`,
      ),
    ).map((l) => `  - ${l}`),
    '',
    JSON.stringify({ principal: who, ...result }),
  ].join('\n');
  return { subject, message };
}

export async function notify(sns: SnsPort, topicArn: string, n: Notification): Promise<void> {
  await sns.publish(topicArn, n.subject, n.message);
}
