// Resource-based policies: evaluatePolicy is DynamoDB's; evaluateResourcePolicy (SQS queue policies) adds service
// principals. Both: Effect, Principal, Action and Resource with wildcards, and the
// conditions of policy-conditions.ts (the String/Arn/Bool/Null operators, ForAnyValue/ForAllValues on multivalued
// keys, policy variables such as ${aws:PrincipalAccount} in condition values and Resource) over the keys
// aws:PrincipalOrgID, aws:PrincipalArn, aws:PrincipalAccount and what the service adds (dynamodb:LeadingKeys). An
// explicit Deny wins. A condition on a key the request does not carry behaves as IAM's does for a missing key.
// Identity-based policies are not simulated: same-account callers are allowed unless a Deny matches.
import type { Caller } from '../types.js';
import type { SimState } from '../state.js';
import { conditionHolds, resourcePatternMatches, wildcard, type PolicyContext } from '../policy-conditions.js';

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The request context keys a resource policy can test. */
export function principalContext(state: SimState, caller: Caller): PolicyContext {
  const inOrg = state.org.accounts.has(caller.accountId);
  return {
    'aws:PrincipalOrgID': inOrg ? state.org.id : undefined,
    'aws:PrincipalArn': caller.roleArn ?? `arn:aws:iam::${caller.accountId}:root`,
    'aws:PrincipalAccount': caller.accountId,
  };
}

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  return list((principal as { AWS?: unknown } | undefined)?.AWS).some(
    (p) =>
      p === '*' ||
      p === caller.accountId ||
      p === `arn:aws:iam::${caller.accountId}:root` ||
      (caller.roleArn !== undefined && p === caller.roleArn),
  );
}

export type PolicyVerdict = 'allow' | 'deny' | 'none';

export function evaluatePolicy(
  policy: unknown,
  state: SimState,
  caller: Caller,
  action: string,
  resourceArn: string,
  serviceContext: PolicyContext = {},
): PolicyVerdict {
  let doc = policy;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      return 'none';
    }
  }
  const statements = list((doc as { Statement?: unknown } | undefined)?.Statement) as Statement[];
  const ctx = { ...principalContext(state, caller), ...serviceContext };
  const applies = (s: Statement) =>
    principalMatches(s.Principal, caller) &&
    list(s.Action).some((a) => wildcard(String(a), 'i').test(action)) &&
    (s.Resource === undefined || resourcePatternMatches(s.Resource, resourceArn, ctx)) &&
    conditionHolds(s.Condition, ctx);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'deny';
  return statements.some((s) => s.Effect === 'Allow' && applies(s)) ? 'allow' : 'none';
}

/**
 * Who calls, for a resource policy that may name service principals (SQS queue policies): an IAM principal of the
 * simulator (its caller), or an AWS service acting for one of its resources (EventBridge delivering a rule's target).
 */
export type PolicyPrincipal =
  { kind: 'iam'; caller: Caller } | { kind: 'service'; service: string; sourceArn: string; sourceAccount: string };

interface FullStatement extends Statement {
  NotPrincipal?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

/**
 * The request context keys IAM gives each kind of principal. A service principal's request carries aws:SourceArn,
 * aws:SourceAccount, aws:PrincipalServiceName and aws:PrincipalIsAWSService=true, and none of the principal's
 * own keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID), so a negated condition on those holds for
 * it, as in IAM.
 */
export function requestContext(state: SimState, principal: PolicyPrincipal, region: string): Record<string, string> {
  if (principal.kind === 'service') {
    return {
      'aws:SourceArn': principal.sourceArn,
      'aws:SourceAccount': principal.sourceAccount,
      'aws:PrincipalServiceName': principal.service,
      'aws:PrincipalIsAWSService': 'true',
      'aws:RequestedRegion': region,
    };
  }
  const { caller } = principal;
  const ctx: Record<string, string> = {
    'aws:PrincipalArn': caller.roleArn ?? `arn:aws:iam::${caller.accountId}:root`,
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalIsAWSService': 'false',
    'aws:RequestedRegion': region,
    'aws:userid': caller.userId,
  };
  if (state.org.accounts.has(caller.accountId)) ctx['aws:PrincipalOrgID'] = state.org.id;
  return ctx;
}

function principalIn(principal: unknown, who: PolicyPrincipal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as { AWS?: unknown; Service?: unknown };
  if (who.kind === 'service') return list(p.Service).some((s) => s === who.service);
  const { caller } = who;
  return list(p.AWS).some(
    (a) =>
      a === '*' ||
      a === caller.accountId ||
      a === `arn:aws:iam::${caller.accountId}:root` ||
      (caller.roleArn !== undefined && a === caller.roleArn) ||
      a === caller.arn,
  );
}

/**
 * A resource policy with service principals and the full condition language of policy-conditions.ts (String*,
 * Arn*, Bool, Null, …IfExists, set operators, policy variables). Principal/NotPrincipal, Action/NotAction
 * (case-insensitive wildcards), Resource/NotResource. An explicit Deny wins over any Allow.
 */
export function evaluateResourcePolicy(
  policy: unknown,
  state: SimState,
  principal: PolicyPrincipal,
  action: string,
  resourceArn: string,
  region: string,
): PolicyVerdict {
  let doc = policy;
  if (typeof doc === 'string') {
    if (doc === '') return 'none';
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      return 'none';
    }
  }
  const statements = list((doc as { Statement?: unknown } | undefined)?.Statement) as FullStatement[];
  const context = requestContext(state, principal, region);
  const applies = (s: FullStatement) => {
    const who =
      s.NotPrincipal !== undefined ? !principalIn(s.NotPrincipal, principal) : principalIn(s.Principal, principal);
    const what =
      s.NotAction !== undefined
        ? !list(s.NotAction).some((a) => wildcard(String(a), 'i').test(action))
        : list(s.Action).some((a) => wildcard(String(a), 'i').test(action));
    const resourceLike = (r: unknown) => {
      const re = String(r)
        .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.');
      return new RegExp(`^${re}$`).test(resourceArn);
    };
    const where =
      s.NotResource !== undefined
        ? !list(s.NotResource).some(resourceLike)
        : s.Resource === undefined || list(s.Resource).some(resourceLike);
    return who && what && where && conditionHolds(s.Condition, context);
  };
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'deny';
  return statements.some((s) => s.Effect === 'Allow' && applies(s)) ? 'allow' : 'none';
}
