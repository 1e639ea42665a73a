// The side doors (issue N): calls that widen access without touching a rule. Each event is only a pointer (a list,
// a group and a VPC, an interface); what is decided, and every action, rests on what EC2 says when it is read back:
//  - a customer-managed prefix list of this account: the entries of the version the call made and of the one
//    before, compared (GetManagedPrefixListEntries with TargetVersion). Added entries that no policy allows are
//    undone by RestoreManagedPrefixListVersion to the version before, with CurrentVersion set to the version the call
//    made: the restore happens only while that version is still the current one, so neither a late or repeated
//    event nor a concurrent change can make guardrail restore over later versions (a list that has moved on is
//    `failed`, loudly, with the entries named);
//  - AssociateSecurityGroupVpc: the association read back, the VPC's scope, the group's ingress rules open to the
//    world (0.0.0.0/0, ::/0) now: DisassociateSecurityGroupVpc, or only a report (onAssociate report, monitor mode);
//  - ModifyNetworkInterfaceAttribute / ModifyInstanceAttribute: the interface's groups read back; an attached group
//    that is open to the world or exempt, on an interface in a protected VPC, is reported (`monitored`), never
//    detached: an interface's groups carry live traffic, and the group's own rules are guarded by their own events.
import { covering, isActive, unreadable, type Approval } from './approvals.js';
import { cidrWithin, parseCidr } from './contain.js';
import { allowedPattern, principalMatches } from './decide.js';
import { Hold, type Deps, type EventOptions } from './process-event.js';
import { errorCode, isTransient } from './revert.js';
import type { Change, Config, Decision, GroupInfo, GroupRule, Principal } from './types.js';

type SideDoor = Extract<Change, { kind: 'prefix-list' | 'associate' | 'attach' }>;
type Describe = (id: string) => Promise<GroupInfo | undefined>;

const none = { groupId: null, ruleIds: [] as string[], direction: null };

/** A permanent error becomes a `failed` decision; a transient one is rethrown (the event goes back to the queue). */
function failed(base: Partial<Decision>, what: string, err: unknown): Decision {
  if (isTransient(err)) throw err;
  return { ...none, ...base, action: 'failed', reason: `${what} failed (${errorCode(err)})` };
}

/** An ingress rule open to the whole internet: 0.0.0.0/0 or ::/0 (any /0). */
export const openToWorld = (r: GroupRule): boolean =>
  !r.isEgress && [r.cidrIpv4, r.cidrIpv6].some((c) => c !== undefined && parseCidr(c)?.prefix === 0);

/** A CIDR as EC2 would compare it: lower-case (IPv6), so "2001:DB8::/32" and "2001:db8::/32" are one entry. */
const entryKey = (cidr: string): string => cidr.trim().toLowerCase();

function diff(from: string[], to: string[]): string[] {
  const had = new Set(from.map(entryKey));
  return [...new Set(to.map(entryKey))].filter((c) => !had.has(c));
}

/** Active approvals that name this id (a prefix list's id stands where a group's does). */
async function activeApprovals(deps: Deps, id: string): Promise<Approval[]> {
  const a = deps.approvals;
  if (!a) return [];
  return (await a.store.forGroup(a.account, a.region, id)).filter((x) => x.groupId === id && isActive(x, Date.now()));
}

function prefixListPrincipal(config: Config, p: Principal): string | undefined {
  return allowedPattern(config, p) ?? config.prefixLists.principals.find((pattern) => principalMatches(pattern, p));
}

export async function decidePrefixList(
  change: Extract<Change, { kind: 'prefix-list' }>,
  deps: Deps,
  principal: Principal,
  opts: EventOptions,
): Promise<Decision> {
  const { config, ec2 } = deps;
  const { prefixListId } = change;
  const base: Decision = { ...none, action: 'ignored', reason: '', prefixListId };
  if (change.entries === false)
    return { ...base, reason: 'the call changes the name or the maximum entries, no entry (no new version)' };
  if (config.prefixLists.exempt.includes(prefixListId))
    return { ...base, action: 'allowed', reason: `${prefixListId} is an exempt list (policy.prefixLists.exempt)` };
  let info;
  try {
    info = await ec2.describePrefixList(prefixListId);
  } catch (err) {
    return failed(base, `DescribeManagedPrefixLists ${prefixListId}`, err);
  }
  if (!info) return { ...base, reason: `${prefixListId} no longer exists` };
  // AWS-managed lists (owner "AWS") and lists shared in through RAM change in their owner's account, not here
  if (info.ownerId !== config.account)
    return { ...base, reason: `${prefixListId} is owned by ${info.ownerId || 'another account'}, not this account` };
  if (info.state.endsWith('-in-progress')) {
    // the versions are settled only once the list is *-complete; outside the queue there is no way to wait
    if (opts.ageSeconds !== undefined) throw new Hold(5, `${prefixListId} is ${info.state}`);
    return {
      ...base,
      action: 'failed',
      reason: `${prefixListId} is still ${info.state}: decide the event again in a moment`,
    };
  }
  // the version the call made: the request's CurrentVersion + 1 when it named one (ModifyManagedPrefixList may
  // leave it out), else the list's current version. Only a pointer: the entries are read from EC2.
  const after = change.fromVersion !== undefined ? change.fromVersion + 1 : info.version;
  if (after > info.version)
    return {
      ...base,
      reason: `the call made no new version (the list is at version ${info.version}): no entry changed`,
    };
  if (after < 2) return { ...base, reason: `version ${after} is the list's first: nothing before it to compare` };
  const before = after - 1;
  let entries: [string[], string[]];
  try {
    entries = [await ec2.prefixListEntries(prefixListId, before), await ec2.prefixListEntries(prefixListId, after)];
  } catch (err) {
    return failed(base, `GetManagedPrefixListEntries ${prefixListId} versions ${before} and ${after}`, err);
  }
  const added = diff(entries[0], entries[1]);
  const removed = diff(entries[1], entries[0]);
  const d: Decision = {
    ...base,
    versionBefore: before,
    versionAfter: after,
    entriesAdded: added,
    entriesRemoved: removed,
  };
  if (added.length === 0)
    return {
      ...d,
      action: 'allowed',
      reason: `version ${after} adds no entry${removed.length ? ` (removes ${removed.length})` : ''}`,
    };
  const pattern = prefixListPrincipal(config, principal);
  if (pattern) return { ...d, action: 'allowed', reason: `caller matches allowed principal ${pattern}` };
  let rest = added.filter((c) => !config.prefixLists.cidrs.some((allowed) => cidrWithin(c, allowed)));
  if (rest.length === 0)
    return { ...d, action: 'allowed', reason: 'every added entry lies within policy.prefixLists.cidrs' };
  // approvals: an approval for the list (its id where a group's would be) contains an entry when one of its sources
  // does
  const notes: string[] = [];
  let approval: Approval | undefined;
  try {
    const active = await activeApprovals(deps, prefixListId);
    const covered = (c: string) => active.find((a) => a.rules.some((r) => cidrWithin(c, r.source)));
    approval = rest.map(covered).find((a) => a !== undefined);
    rest = rest.filter((c) => !covered(c));
  } catch (err) {
    if (isTransient(err)) throw err;
    notes.push(`${unreadable(err)}: judged without approvals`);
  }
  if (rest.length === 0) {
    return {
      ...d,
      action: 'approved',
      reason: `every added entry is covered by an approval (approved by ${approval?.approver ?? '?'})`,
      approvalId: approval?.id,
      approver: approval?.approver,
      expiresAt: approval ? new Date(approval.expiresAt * 1000).toISOString() : undefined,
    };
  }
  const what = `version ${after} added ${rest.join(', ')}, which no policy allows`;
  // a restore takes the whole version back: entries that were allowed or approved go with it, and are named
  const kept = added.filter((c) => !rest.includes(c));
  if (kept.length > 0 && config.mode !== 'monitor')
    notes.push(`the restore also takes out ${kept.join(', ')}, which were allowed: add them again on their own`);
  const note = notes.length ? `; ${notes.join('; ')}` : '';
  if (config.mode === 'monitor')
    return { ...d, action: 'monitored', reason: `monitor mode: ${what}; not restored${note}` };
  if (after !== info.version) {
    // later versions exist: restoring `before` would undo them too. Say so, loudly, unless the entries are gone now.
    let now: string[];
    try {
      now = (await ec2.prefixListEntries(prefixListId, info.version)).map(entryKey);
    } catch (err) {
      return failed(d, `GetManagedPrefixListEntries ${prefixListId} version ${info.version}`, err);
    }
    const still = rest.filter((c) => now.includes(c));
    if (still.length === 0)
      return {
        ...d,
        action: 'ignored',
        reason: `${what}, but they are no longer in the list (version ${info.version})${note}`,
      };
    return {
      ...d,
      action: 'failed',
      reason: `${what}; the list has moved on to version ${info.version}, so it is not restored (that would undo the later versions): remove ${still.join(', ')} by hand${note}`,
    };
  }
  try {
    await ec2.restorePrefixList(prefixListId, before, after);
  } catch (err) {
    // CurrentVersion makes a concurrent change fail the restore rather than be overwritten: fail loudly
    return failed(
      { ...d, reason: '' },
      `${what}; RestoreManagedPrefixListVersion to version ${before} (current ${after})`,
      err,
    );
  }
  return { ...d, action: 'restored', reason: `${what}: restored version ${before}${note}` };
}

/** Whether the group's tags or id exempt it (policy.exemptGroups, policy.exemptTag). */
function exemptReason(config: Config, groupId: string, info: GroupInfo | undefined): string | undefined {
  if (config.exemptGroups.includes(groupId)) return `${groupId} is an exempt group`;
  const t = config.exemptTag;
  if (t && info?.tags[t.key] === t.value) return `${groupId} carries the exempt tag ${t.key}=${t.value}`;
  return undefined;
}

const vpcInScope = (config: Config, vpcId: string | undefined): boolean =>
  config.onlyVpcs.length === 0 || (vpcId !== undefined && config.onlyVpcs.includes(vpcId));

/** The group's ingress rules open to the world that no active approval contains. */
async function openRules(deps: Deps, groupId: string): Promise<{ open: GroupRule[]; note?: string }> {
  const open = (await deps.ec2.groupRules(groupId)).filter(openToWorld);
  if (open.length === 0 || !deps.approvals) return { open };
  try {
    const active = await activeApprovals(deps, groupId);
    return { open: open.filter((r) => !covering(active, r)) };
  } catch (err) {
    if (isTransient(err)) throw err;
    return { open, note: `${unreadable(err)}: judged without approvals` };
  }
}

export async function decideAssociate(
  change: Extract<Change, { kind: 'associate' }>,
  deps: Deps,
  principal: Principal,
  describe: Describe,
  opts: EventOptions = {},
): Promise<Decision> {
  const { config, ec2 } = deps;
  const { groupId, vpcId } = change;
  const base: Decision = { groupId, ruleIds: [], direction: 'ingress', vpcId, action: 'ignored', reason: '' };
  const pattern = allowedPattern(config, principal);
  if (pattern) return { ...base, action: 'allowed', reason: `caller matches allowed principal ${pattern}` };
  let info: GroupInfo | undefined;
  let association;
  try {
    info = await describe(groupId);
    association = (await ec2.groupVpcAssociations(groupId)).find((a) => a.vpcId === vpcId);
  } catch (err) {
    return failed(base, `reading ${groupId}'s VPC associations`, err);
  }
  if (!info) return { ...base, reason: `${groupId} no longer exists` };
  if (info.vpcId === vpcId) return { ...base, reason: `${vpcId} is the group's own VPC` };
  if (!association || !['associating', 'associated'].includes(association.state)) {
    return {
      ...base,
      reason: `${groupId} is not associated with ${vpcId} now${association ? ` (${association.state})` : ''}`,
    };
  }
  if (!vpcInScope(config, vpcId)) return { ...base, action: 'allowed', reason: `${vpcId} is outside onlyVpcs` };
  const exempt = exemptReason(config, groupId, info);
  const untagged =
    config.onlyTag && info.tags[config.onlyTag.key] !== config.onlyTag.value
      ? `group lacks the tag ${config.onlyTag.key}=${config.onlyTag.value} (onlyTag)`
      : undefined;
  const out = exempt ?? untagged;
  if (out) {
    // a tag anyone who may tag the group could have just changed: decided once the tag's own event has been (as rules
    // are)
    const byTag = !config.exemptGroups.includes(groupId);
    if (byTag && opts.ageSeconds !== undefined && opts.ageSeconds < config.settleSeconds) {
      throw new Hold(
        Math.ceil(config.settleSeconds - opts.ageSeconds),
        `${out}: decided once the group's tag events have been`,
      );
    }
    return { ...base, action: 'allowed', reason: out };
  }
  if (!config.directions.includes('ingress'))
    return { ...base, reason: 'ingress is not protected (directions), and only ingress open to the world is judged' };
  let judged;
  try {
    judged = await openRules(deps, groupId);
  } catch (err) {
    return failed(base, `DescribeSecurityGroupRules ${groupId}`, err);
  }
  const { open } = judged;
  const note = judged.note ? `; ${judged.note}` : '';
  const d = { ...base, ruleIds: open.map((r) => r.ruleId) };
  if (open.length === 0)
    return {
      ...d,
      action: 'allowed',
      reason: `no ingress rule of ${groupId} is open to the world (unapproved)${note}`,
    };
  const what = `${groupId} brings ${open.length} ingress rule(s) open to the world into ${vpcId}`;
  if (config.mode === 'monitor')
    return { ...d, action: 'monitored', reason: `monitor mode: ${what}; not disassociated${note}` };
  if (config.onAssociate === 'report')
    return { ...d, action: 'monitored', reason: `onAssociate=report: ${what}; not disassociated${note}` };
  try {
    await ec2.disassociateGroupVpc(groupId, vpcId);
  } catch (err) {
    return failed(d, `${what}; DisassociateSecurityGroupVpc`, err);
  }
  return { ...d, action: 'reverted', reason: `${what}: disassociated${note}` };
}

export async function decideAttach(
  change: Extract<Change, { kind: 'attach' }>,
  deps: Deps,
  principal: Principal,
  describe: Describe,
): Promise<Decision[]> {
  const { config, ec2 } = deps;
  const where = { networkInterfaceId: change.networkInterfaceId, instanceId: change.instanceId };
  const base: Decision = { ...none, ...where, action: 'ignored', reason: '' };
  let interfaces;
  try {
    interfaces = await ec2.interfaces(where);
  } catch (err) {
    return [failed(base, `describing ${change.networkInterfaceId ?? change.instanceId}`, err)];
  }
  if (interfaces.length === 0)
    return [{ ...base, reason: `${change.networkInterfaceId ?? change.instanceId} no longer exists` }];
  const pattern = allowedPattern(config, principal);
  const out: Decision[] = [];
  for (const eni of interfaces) {
    if (!vpcInScope(config, eni.vpcId)) continue;
    // the groups the interface holds now that the call named: what was attached, as EC2 says
    for (const groupId of eni.groupIds.filter((g) => change.groupIds.includes(g))) {
      let why: string[];
      let ruleIds: string[];
      try {
        const info = await describe(groupId);
        const open = (await ec2.groupRules(groupId)).filter(openToWorld);
        ruleIds = open.map((r) => r.ruleId);
        why = [
          exemptReason(config, groupId, info),
          open.length ? `${open.length} ingress rule(s) open to the world` : undefined,
        ].filter((x): x is string => x !== undefined);
      } catch (err) {
        out.push(
          failed(
            { ...base, groupId, networkInterfaceId: eni.networkInterfaceId, vpcId: eni.vpcId },
            `reading ${groupId}`,
            err,
          ),
        );
        continue;
      }
      if (why.length === 0) continue;
      const d = { ...base, groupId, ruleIds, networkInterfaceId: eni.networkInterfaceId, vpcId: eni.vpcId };
      const what = `${groupId} (${why.join('; ')}) attached to ${eni.networkInterfaceId}${change.instanceId ? ` of ${change.instanceId}` : ''} in ${eni.vpcId ?? '?'}`;
      out.push(
        pattern
          ? { ...d, action: 'allowed', reason: `${what}; caller matches allowed principal ${pattern}` }
          : { ...d, action: 'monitored', reason: `${what}: reported, never detached` },
      );
    }
  }
  if (out.length === 0)
    return [{ ...base, reason: 'no attached group is open to the world or exempt on an interface in scope' }];
  return out;
}

export async function decideSideDoor(
  change: SideDoor,
  deps: Deps,
  principal: Principal,
  describe: Describe,
  opts: EventOptions,
): Promise<Decision[]> {
  if (change.kind === 'prefix-list') return [await decidePrefixList(change, deps, principal, opts)];
  if (change.kind === 'associate') return [await decideAssociate(change, deps, principal, describe, opts)];
  return decideAttach(change, deps, principal, describe);
}
