// Resource-based policies (DynamoDB's, for now): Effect, Principal, Action and Resource with wildcards, and the
// condition operators String(Not)Equals, String(Not)Like, Arn(Not)Equals and Arn(Not)Like over the keys
// aws:PrincipalOrgID, aws:PrincipalArn and aws:PrincipalAccount. An explicit Deny wins. A condition on any other key
// does not hold (so an Allow that depends on it grants nothing); negated operators hold when the key is absent, as
// in IAM. Identity-based policies are not simulated: same-account callers are allowed unless a Deny matches.
import type { Caller } from '../types.js';
import type { SimState } from '../state.js';

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function like(pattern: string, value: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(value);
}

/** The request context keys a resource policy can test. */
export function principalContext(state: SimState, caller: Caller): Record<string, string | undefined> {
  const inOrg = state.org.accounts.has(caller.accountId);
  return {
    'aws:principalorgid': inOrg ? state.org.id : undefined,
    'aws:principalarn': caller.roleArn ?? `arn:aws:iam::${caller.accountId}:root`,
    'aws:principalaccount': caller.accountId,
  };
}

function conditionHolds(condition: Statement['Condition'], ctx: Record<string, string | undefined>): boolean {
  for (const [op, entries] of Object.entries(condition ?? {})) {
    for (const [key, raw] of Object.entries(entries ?? {})) {
      const have = ctx[key.toLowerCase()];
      const wanted = list(raw).map(String);
      const negated = /Not/.test(op);
      const base = op.replace('Not', '').replace(/IfExists$/, '');
      if (have === undefined) {
        if (negated || op.endsWith('IfExists')) continue;
        return false;
      }
      const match = base === 'StringEquals' || base === 'ArnEquals' ? wanted.includes(have)
        : base === 'StringLike' || base === 'ArnLike' ? wanted.some((w) => like(w, have)) : undefined;
      if (match === undefined) return false;
      if (match === negated) return false;
    }
  }
  return true;
}

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  return list((principal as { AWS?: unknown } | undefined)?.AWS).some((p) => p === '*' || p === caller.accountId
    || p === `arn:aws:iam::${caller.accountId}:root` || (caller.roleArn !== undefined && p === caller.roleArn));
}

export type PolicyVerdict = 'allow' | 'deny' | 'none';

export function evaluatePolicy(policy: unknown, state: SimState, caller: Caller, action: string, resourceArn: string): PolicyVerdict {
  let doc = policy;
  if (typeof doc === 'string') {
    try { doc = JSON.parse(doc) as unknown; } catch { return 'none'; }
  }
  const statements = list((doc as { Statement?: unknown } | undefined)?.Statement) as Statement[];
  const ctx = principalContext(state, caller);
  const applies = (s: Statement) => principalMatches(s.Principal, caller)
    && list(s.Action).some((a) => like(String(a), action))
    && (s.Resource === undefined || list(s.Resource).some((r) => like(String(r), resourceArn)))
    && conditionHolds(s.Condition, ctx);
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'deny';
  return statements.some((s) => s.Effect === 'Allow' && applies(s)) ? 'allow' : 'none';
}
