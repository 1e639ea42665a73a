// AWS Organizations policies (the SERVICE_CONTROL_POLICY type): enabling the type on the root, creating, updating,
// describing, listing, attaching and detaching policies, and their tags, with Organizations' limits: 5,120
// characters of content, 5 SCPs attached to one target, at least one SCP left on a target, 1,000 policies.
import { SimError } from '../types.js';
import type { SimState } from '../state.js';

export const SCP = 'SERVICE_CONTROL_POLICY';
export const FULL_AWS_ACCESS = 'p-FullAWSAccess';
export const SCP_CONTENT_LIMIT = 5120;
export const SCP_PER_TARGET = 5;
const POLICY_LIMIT = 1000;

export interface OrgPolicy {
  id: string;
  name: string;
  description: string;
  content: string;
  awsManaged: boolean;
  tags: Record<string, string>;
}

export interface PolicyStore {
  /** policy types enabled on the root */
  enabled: Set<string>;
  policies: Map<string, OrgPolicy>;
  /** target id (root, OU, account) → attached policy ids; a target not in the map has FullAWSAccess once SCPs are on */
  attachments: Map<string, Set<string>>;
}

const stores = new WeakMap<SimState, PolicyStore>();

const FULL_ACCESS_CONTENT = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  null,
  4,
);

export function policyStore(state: SimState): PolicyStore {
  let s = stores.get(state);
  if (!s) {
    s = { enabled: new Set(), policies: new Map(), attachments: new Map() };
    s.policies.set(FULL_AWS_ACCESS, {
      id: FULL_AWS_ACCESS,
      name: 'FullAWSAccess',
      description: 'Allows access to every operation',
      awsManaged: true,
      content: FULL_ACCESS_CONTENT,
      tags: {},
    });
    stores.set(state, s);
  }
  return s;
}

/** The SCPs attached to a target (FullAWSAccess by default, as AWS attaches it to every root, OU and account). */
export function attachedTo(state: SimState, targetId: string): Set<string> {
  const store = policyStore(state);
  let set = store.attachments.get(targetId);
  if (!set) {
    set = new Set(store.enabled.has(SCP) ? [FULL_AWS_ACCESS] : []);
    if (store.enabled.has(SCP)) store.attachments.set(targetId, set);
  }
  return set;
}

function invalidInput(reason: string, message: string): SimError {
  return new SimError('InvalidInputException', message, 400, 'Sender', { Reason: reason });
}

function constraint(reason: string, message: string): SimError {
  return new SimError('ConstraintViolationException', message, 400, 'Sender', { Reason: reason });
}

function str(input: Record<string, unknown>, key: string): string {
  const v = input[key];
  if (typeof v !== 'string' || v === '') throw invalidInput('INPUT_REQUIRED', `You must specify a value for ${key}.`);
  return v;
}

function policyArn(state: SimState, p: OrgPolicy): string {
  return p.awsManaged
    ? `arn:aws:organizations::aws:policy/service_control_policy/${p.id}`
    : `arn:aws:organizations::${state.org.managementAccountId}:policy/${state.org.id}/service_control_policy/${p.id}`;
}

export function policySummary(state: SimState, p: OrgPolicy) {
  return {
    Id: p.id,
    Arn: policyArn(state, p),
    Name: p.name,
    Description: p.description,
    Type: SCP,
    AwsManaged: p.awsManaged,
  };
}

function requirePolicy(state: SimState, input: Record<string, unknown>): OrgPolicy {
  const id = str(input, 'PolicyId');
  if (!/^p-[0-9a-zA-Z_]{8,128}$/.test(id))
    throw invalidInput('INVALID_PATTERN', 'You provided a value that does not match the required pattern.');
  const p = policyStore(state).policies.get(id);
  if (!p)
    throw new SimError('PolicyNotFoundException', "We can't find a policy with the PolicyId that you specified.", 400);
  return p;
}

function requireType(input: Record<string, unknown>, key: string): void {
  const type = str(input, key);
  if (type !== SCP) {
    throw invalidInput('INVALID_ENUM_POLICY_TYPE', `The simulator supports only the ${SCP} policy type, got ${type}.`);
  }
}

/** Parses and checks a policy document as Organizations does for SCPs (JSON, Version, Statement, Effect, size). */
function checkContent(content: string): void {
  if (content.length > SCP_CONTENT_LIMIT) {
    throw constraint('POLICY_CONTENT_LIMIT_EXCEEDED', 'You attempted to create a policy larger than the maximum size.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch {
    throw new SimError(
      'MalformedPolicyDocumentException',
      'The provided policy document does not meet the requirements of the specified policy type.',
    );
  }
  const statements = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  const ok =
    typeof doc === 'object' &&
    doc !== null &&
    list.length > 0 &&
    list.every((s) => {
      const st = s as Record<string, unknown>;
      return (
        (st.Effect === 'Allow' || st.Effect === 'Deny') && ('Action' in st || 'NotAction' in st) && !('Principal' in st)
      );
    });
  if (!ok) {
    throw new SimError(
      'MalformedPolicyDocumentException',
      'The provided policy document does not meet the requirements of the specified policy type.',
    );
  }
}

/** Organizations' tag key and value pattern: letters, spaces, numbers and _ . : / = + - @ */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** A policy's or an account's tags (the resources guardrail tags); an account's are made on first use. */
function taggable(state: SimState, resourceId: unknown): Record<string, string> {
  if (typeof resourceId === 'string' && /^\d{12}$/.test(resourceId)) {
    const account = state.org.accounts.get(resourceId);
    if (!account)
      throw new SimError(
        'TargetNotFoundException',
        "We can't find a root, OU, account, or policy with the TargetId that you specified.",
        400,
      );
    return (account.tags ??= {});
  }
  return requirePolicy(state, { PolicyId: resourceId }).tags;
}

function tagsIn(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of Array.isArray(input.Tags) ? (input.Tags as { Key?: unknown; Value?: unknown }[]) : []) {
    if (typeof t.Key === 'string') out[t.Key] = typeof t.Value === 'string' ? t.Value : '';
  }
  return out;
}

interface TargetInfo {
  id: string;
  arn: string;
  name: string;
  type: 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT';
}

function target(state: SimState, id: string): TargetInfo | undefined {
  const prefix = `arn:aws:organizations::${state.org.managementAccountId}`;
  if (id === state.org.rootId) return { id, arn: `${prefix}:root/${state.org.id}/${id}`, name: 'Root', type: 'ROOT' };
  const ou = state.org.ous.get(id);
  if (ou) return { id, arn: `${prefix}:ou/${state.org.id}/${id}`, name: ou.name, type: 'ORGANIZATIONAL_UNIT' };
  const acct = state.org.accounts.get(id);
  if (acct) return { id, arn: `${prefix}:account/${state.org.id}/${id}`, name: acct.name, type: 'ACCOUNT' };
  return undefined;
}

function requireTarget(state: SimState, input: Record<string, unknown>): TargetInfo {
  const id = str(input, 'TargetId');
  if (!/^(r-[0-9a-z]{4,32}|\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/.test(id)) {
    throw invalidInput('INVALID_PATTERN', 'You provided a value that does not match the required pattern.');
  }
  const t = target(state, id);
  if (!t)
    throw new SimError(
      'TargetNotFoundException',
      "We can't find a root, OU, account, or email address that you specified.",
      400,
    );
  return t;
}

function newPolicyId(state: SimState): string {
  const chars = '0123456789abcdefghijklmnopqrstuvwxyz';
  let id = 'p-';
  for (let i = 0; i < 8; i++) id += chars[Math.floor(state.random.ids.next() * chars.length)];
  return id;
}

export type Pager = (items: unknown[], key: string) => unknown;

/** The policy operations; undefined when `operation` is not one of them. */
export function handlePolicyOperation(
  state: SimState,
  operation: string,
  input: Record<string, unknown>,
  page: Pager,
): unknown {
  const store = policyStore(state);
  switch (operation) {
    case 'EnablePolicyType': {
      if (str(input, 'RootId') !== state.org.rootId)
        throw new SimError('RootNotFoundException', "We can't find a root with the RootId that you specified.", 400);
      requireType(input, 'PolicyType');
      if (store.enabled.has(SCP))
        throw new SimError('PolicyTypeAlreadyEnabledException', 'The specified policy type is already enabled.');
      store.enabled.add(SCP);
      // AWS attaches FullAWSAccess to the root, every OU and every account (attachedTo does it lazily)
      return { Root: rootShape(state) };
    }
    case 'CreatePolicy': {
      requireType(input, 'Type');
      const name = str(input, 'Name');
      const content = str(input, 'Content');
      const description = typeof input.Description === 'string' ? input.Description : '';
      if (name.length > 128)
        throw invalidInput('MAX_LENGTH_EXCEEDED', 'You provided a value that exceeds the maximum allowed length.');
      if ([...store.policies.values()].some((p) => p.name === name)) {
        throw new SimError('DuplicatePolicyException', 'A policy with the same name already exists.');
      }
      if (store.policies.size - 1 >= POLICY_LIMIT)
        throw constraint(
          'POLICY_NUMBER_LIMIT_EXCEEDED',
          'You attempted to exceed the number of policies that you can have in an organization.',
        );
      checkContent(content);
      const p: OrgPolicy = {
        id: newPolicyId(state),
        name,
        description,
        content,
        awsManaged: false,
        tags: tagsIn(input),
      };
      store.policies.set(p.id, p);
      return { Policy: { PolicySummary: policySummary(state, p), Content: p.content } };
    }
    case 'UpdatePolicy': {
      const p = requirePolicy(state, input);
      if (p.awsManaged)
        throw new SimError('PolicyChangesNotAllowedException', 'Changes to the specified policy are not allowed.');
      if (typeof input.Content === 'string') checkContent(input.Content);
      if (
        typeof input.Name === 'string' &&
        input.Name !== p.name &&
        [...store.policies.values()].some((x) => x.name === input.Name)
      ) {
        throw new SimError('DuplicatePolicyException', 'A policy with the same name already exists.');
      }
      if (typeof input.Content === 'string') p.content = input.Content;
      if (typeof input.Name === 'string') p.name = input.Name;
      if (typeof input.Description === 'string') p.description = input.Description;
      return { Policy: { PolicySummary: policySummary(state, p), Content: p.content } };
    }
    case 'DescribePolicy': {
      const p = requirePolicy(state, input);
      return { Policy: { PolicySummary: policySummary(state, p), Content: p.content } };
    }
    case 'DeletePolicy': {
      const p = requirePolicy(state, input);
      if (p.awsManaged)
        throw new SimError('PolicyChangesNotAllowedException', 'Changes to the specified policy are not allowed.');
      if ([...store.attachments.values()].some((s) => s.has(p.id))) {
        throw new SimError(
          'PolicyInUseException',
          'The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.',
        );
      }
      store.policies.delete(p.id);
      return {};
    }
    case 'ListPolicies': {
      requireType(input, 'Filter');
      return page(
        [...store.policies.values()].map((p) => policySummary(state, p)),
        'Policies',
      );
    }
    case 'ListPoliciesForTarget': {
      const t = requireTarget(state, input);
      requireType(input, 'Filter');
      const ids = store.enabled.has(SCP) ? [...attachedTo(state, t.id)] : [];
      return page(
        ids.map((id) => policySummary(state, store.policies.get(id)!)),
        'Policies',
      );
    }
    case 'ListTargetsForPolicy': {
      const p = requirePolicy(state, input);
      const targets = allTargets(state)
        .filter((t) => store.enabled.has(SCP) && attachedTo(state, t.id).has(p.id))
        .map((t) => ({ TargetId: t.id, Arn: t.arn, Name: t.name, Type: t.type }));
      return page(targets, 'Targets');
    }
    case 'AttachPolicy': {
      const p = requirePolicy(state, input);
      const t = requireTarget(state, input);
      if (!store.enabled.has(SCP))
        throw new SimError(
          'PolicyTypeNotEnabledException',
          'This operation can be performed only for enabled policy types.',
        );
      const set = attachedTo(state, t.id);
      if (set.has(p.id))
        throw new SimError(
          'DuplicatePolicyAttachmentException',
          'The selected policy is already attached to the specified target.',
        );
      if (set.size >= SCP_PER_TARGET) {
        throw constraint(
          'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
          'You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.',
        );
      }
      set.add(p.id);
      return {};
    }
    case 'DetachPolicy': {
      const p = requirePolicy(state, input);
      const t = requireTarget(state, input);
      const set = attachedTo(state, t.id);
      if (!set.has(p.id))
        throw new SimError(
          'PolicyNotAttachedException',
          "The policy isn't attached to the specified target in the specified root.",
        );
      if (set.size <= 1) {
        throw constraint(
          'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
          'You attempted to detach a policy from an entity that would leave it with fewer than the minimum number of policies of a certain type required.',
        );
      }
      set.delete(p.id);
      return {};
    }
    case 'ListTagsForResource': {
      const tags = taggable(state, input.ResourceId);
      return page(
        Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        'Tags',
      );
    }
    case 'TagResource': {
      const tags = taggable(state, input.ResourceId);
      const add = tagsIn(input);
      for (const [k, v] of Object.entries(add)) {
        if (k.length < 1 || k.length > 128 || v.length > 256 || !TAG_TEXT.test(k) || !TAG_TEXT.test(v)) {
          throw invalidInput('INVALID_INPUT', 'You provided a value that does not match the required pattern.');
        }
      }
      Object.assign(tags, add);
      return {};
    }
    case 'UntagResource': {
      const tags = taggable(state, input.ResourceId);
      for (const k of Array.isArray(input.TagKeys) ? input.TagKeys : []) if (typeof k === 'string') delete tags[k];
      return {};
    }
    default:
      return undefined;
  }
}

export function rootShape(state: SimState) {
  const enabled = policyStore(state).enabled;
  return {
    Id: state.org.rootId,
    Arn: `arn:aws:organizations::${state.org.managementAccountId}:root/${state.org.id}/${state.org.rootId}`,
    Name: 'Root',
    PolicyTypes: [...enabled].map((Type) => ({ Type, Status: 'ENABLED' })),
  };
}

function allTargets(state: SimState): TargetInfo[] {
  const ids = [state.org.rootId, ...state.org.ous.keys(), ...state.org.accounts.keys()];
  return ids.map((id) => target(state, id)!);
}
