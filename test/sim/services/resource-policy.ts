// Resource-based policies (DynamoDB's, for now): Effect, Principal, Action and Resource with wildcards, and the
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
  return list((principal as { AWS?: unknown } | undefined)?.AWS).some((p) => p === '*' || p === caller.accountId
    || p === `arn:aws:iam::${caller.accountId}:root` || (caller.roleArn !== undefined && p === caller.roleArn));
}

export type PolicyVerdict = 'allow' | 'deny' | 'none';

export function evaluatePolicy(policy: unknown, state: SimState, caller: Caller, action: string, resourceArn: string,
  serviceContext: PolicyContext = {}): PolicyVerdict {
  let doc = policy;
  if (typeof doc === 'string') {
    try { doc = JSON.parse(doc) as unknown; } catch { return 'none'; }
  }
  const statements = list((doc as { Statement?: unknown } | undefined)?.Statement) as Statement[];
  const ctx = { ...principalContext(state, caller), ...serviceContext };
  const applies = (s: Statement) => principalMatches(s.Principal, caller)
    && list(s.Action).some((a) => wildcard(String(a), 'i').test(action))
    && (s.Resource === undefined || resourcePatternMatches(s.Resource, resourceArn, ctx))
    && conditionHolds(s.Condition, ctx);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'deny';
  return statements.some((s) => s.Effect === 'Allow' && applies(s)) ? 'allow' : 'none';
}
