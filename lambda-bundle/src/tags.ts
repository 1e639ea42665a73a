// Scope tags are guarded like rules. A principal that is not allowed may not widen guardrail's blind spots by tagging:
//  - the exempt tag put on a group is taken off again;
//  - the onlyTag taken off a group (or given another value) is put back with the configured value;
//  - a guardrail:approval or guardrail:expires label put on a rule is taken off (`forged`): the store's record, not
//    the label, says what guardrail keeps.
// Undoing only ever narrows what is exempt. An exempt tag taken off is not put back: restoring it would grant an
// exemption on the word of whoever sent the DeleteTags (which succeeds for a tag that never was there). Monitor mode
// reports and changes nothing.
import { allowedPattern } from './decide.js';
import { APPROVAL_TAG, EXPIRES_TAG } from './approvals.js';
import { errorCode, isGone, isTransient } from './revert.js';
import { isScopeKey } from './scope.js';
import type { Change, Config, Decision, Ec2Port, Principal } from './types.js';

type TagChange = Extract<Change, { kind: 'tags' }>;

const RULE_LABELS = [APPROVAL_TAG, EXPIRES_TAG];

/** What one resource's part of the change asks guardrail to do: a tag to remove or to put back, or nothing. */
function plan(
  config: Config,
  change: TagChange,
  resource: string,
): { undo?: 'untag' | 'retag'; keys: string[]; reason: string } {
  // every tag deleted: as if each scope key had been named
  if (change.all)
    change = {
      ...change,
      tags: [config.onlyTag?.key, config.exemptTag?.key, APPROVAL_TAG].flatMap((key) => (key ? [{ key }] : [])),
    };
  const keys = change.tags.map((t) => t.key).filter((k) => isScopeKey(config, k));
  const { exemptTag, onlyTag } = config;
  if (resource.startsWith('sgr-')) {
    const labels = keys.filter((k) => RULE_LABELS.includes(k));
    if (change.op === 'create' && labels.length)
      return { undo: 'untag', keys: RULE_LABELS, reason: 'an approval label put on a rule' };
    return {
      keys,
      reason:
        change.op === 'delete' ? "a label taken off a rule (the store's record still decides)" : 'not a scope tag',
    };
  }
  if (!resource.startsWith('sg-')) return { keys, reason: 'not a security group' };
  const put = change.op === 'create' ? change.tags : [];
  if (exemptTag && put.some((t) => t.key === exemptTag.key && t.value === exemptTag.value)) {
    return {
      undo: 'untag',
      keys: [exemptTag.key],
      reason: `the exempt tag ${exemptTag.key}=${exemptTag.value} put on the group`,
    };
  }
  if (
    onlyTag &&
    change.tags.some((t) => t.key === onlyTag.key && (change.op === 'delete' || t.value !== onlyTag.value))
  ) {
    return {
      undo: 'retag',
      keys: [onlyTag.key],
      reason: `the onlyTag ${onlyTag.key} ${change.op === 'delete' ? 'taken off' : 'changed'}`,
    };
  }
  if (exemptTag && change.op === 'delete' && keys.includes(exemptTag.key)) {
    return {
      keys,
      reason: `the exempt tag ${exemptTag.key} taken off (not put back: that would grant an exemption on the caller's word)`,
    };
  }
  return { keys, reason: 'not a scope tag' };
}

/**
 * On a retry (`current`), whether a group's part is already undone: the exempt tag no longer there, the onlyTag back,
 * or the group gone. Rules' labels are not looked up: taking one off again is harmless, and a rule that is gone
 * answers NotFound, which a retry logs as nothing left to undo.
 */
async function undoneAlready(
  config: Config,
  ec2: Ec2Port,
  resource: string,
  undo: 'untag' | 'retag',
  keys: string[],
): Promise<string | undefined> {
  if (!resource.startsWith('sg-')) return undefined;
  const group = await ec2.describeGroup({ groupId: resource });
  if (!group) return 'the group is gone';
  if (undo === 'untag' && keys.every((k) => group.tags[k] === undefined))
    return `the group no longer carries ${keys.join(', ')}`;
  if (undo === 'retag' && config.onlyTag && group.tags[config.onlyTag.key] === config.onlyTag.value)
    return `the group carries ${config.onlyTag.key}=${config.onlyTag.value} again`;
  return undefined;
}

export async function decideTags(
  config: Config,
  ec2: Ec2Port,
  principal: Principal,
  change: TagChange,
  current = false,
): Promise<Decision[]> {
  const pattern = allowedPattern(config, principal);
  const decisions: Decision[] = [];
  for (const resource of change.resources.slice(0, 1000)) {
    const rule = resource.startsWith('sgr-');
    const base = { groupId: rule ? null : resource, ruleIds: rule ? [resource] : [], direction: null };
    const p = plan(config, change, resource);
    if (p.keys.length === 0) continue;
    if (!p.undo) {
      decisions.push({
        ...base,
        action: p.reason.startsWith('not ') || rule ? 'ignored' : 'monitored',
        reason: p.reason,
      });
    } else if (pattern) {
      decisions.push({ ...base, action: 'allowed', reason: `${p.reason}, by an allowed principal (${pattern})` });
    } else if (config.mode === 'monitor') {
      decisions.push({ ...base, action: 'monitored', reason: `${p.reason}; monitor mode` });
    } else {
      try {
        const done = current ? await undoneAlready(config, ec2, resource, p.undo, p.keys) : undefined;
        if (done) {
          decisions.push({ ...base, action: 'ignored', reason: `${p.reason}: nothing left to undo now (${done})` });
          continue;
        }
        if (p.undo === 'untag') await ec2.untag([resource], p.keys);
        else await ec2.tagRules([resource], { [p.keys[0]!]: config.onlyTag!.value });
        decisions.push({
          ...base,
          action: rule ? 'forged' : 'reverted',
          reason: `${p.reason}, by a principal that is not allowed: ${p.undo === 'untag' ? 'taken off' : 'put back'}`,
        });
      } catch (err) {
        if (isTransient(err)) throw err;
        if (current && isGone(err))
          decisions.push({
            ...base,
            action: 'ignored',
            reason: `${p.reason}: nothing left to undo now (${errorCode(err)})`,
          });
        else
          decisions.push({ ...base, action: 'failed', reason: `${p.reason}: could not undo it (${errorCode(err)})` });
      }
    }
  }
  return decisions;
}
