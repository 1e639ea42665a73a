// Service control policies, evaluated for calls made by principals of member accounts: an explicit Deny in any SCP
// on the account's path (root, OUs, the account) refuses the call, and so does a level of that path where no SCP
// allows the action (an implicit deny). The management account and service-linked roles are exempt, as in AWS.
// Evaluation needs the IAM action (service prefix + operation) and the resource ARN: scp-resources.ts computes it
// for the operations the simulator serves.
import { SimError, type Caller, type Protocol, type SimRequest } from './types.js';
import { actionOf, resourceOf } from './scp-resources.js';
import type { SimState } from './state.js';
import { attachedTo, policyStore, SCP } from './services/org-policies.js';

export interface Authorization {
  /** e.g. events:DisableRule */
  action: string;
  /** the resource ARN, or '*' when the operation has none the simulator computes */
  resource: string;
  /** aws:PrincipalArn etc. */
  context: Record<string, string>;
}

interface Statement {
  Effect?: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

/** Action names match case-insensitively, with * and ? wildcards. */
function actionMatches(patterns: unknown, action: string): boolean {
  return asList(patterns).some((p) => typeof p === 'string' && wildcard(p, 'i').test(action));
}

/** Resource ARNs match case-sensitively. An operation without a computed resource ('*') matches only "*". */
function resourceMatches(patterns: unknown, resource: string): boolean {
  return asList(patterns).some((p) => typeof p === 'string' && (p === '*' || (resource !== '*' && wildcard(p).test(resource))));
}

/**
 * ARN matching: each of the six colon-separated parts is matched on its own (so * never crosses a colon there); a
 * lone "*" matches any ARN, and a pattern with fewer than six parts matches none.
 */
function arnLike(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.split(':');
  const v = value.split(':');
  if (p.length < 6 || v.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  const [pp, vv] = [head(p), head(v)];
  return pp.every((part, i) => wildcard(part).test(vv[i]!));
}

type Matcher = (wanted: string, actual: string) => boolean;
const OPERATORS: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (w, a) => w === a, negated: false },
  StringNotEquals: { match: (w, a) => w === a, negated: true },
  StringEqualsIgnoreCase: { match: (w, a) => w.toLowerCase() === a.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { match: (w, a) => w.toLowerCase() === a.toLowerCase(), negated: true },
  StringLike: { match: (w, a) => wildcard(w).test(a), negated: false },
  StringNotLike: { match: (w, a) => wildcard(w).test(a), negated: true },
  ArnEquals: { match: (w, a) => w === a, negated: false },
  ArnNotEquals: { match: (w, a) => w === a, negated: true },
  ArnLike: { match: arnLike, negated: false },
  ArnNotLike: { match: arnLike, negated: true },
  Bool: { match: (w, a) => w.toLowerCase() === a.toLowerCase(), negated: false },
};

/**
 * One condition block: every operator and key must hold (AND); the values of one key are alternatives (OR), and a
 * negated operator holds when none of them matches. A missing key fails a positive operator and satisfies a negated
 * one; `…IfExists` makes a missing key satisfy either. `Null` tests presence. Unknown operators never hold, so a
 * Deny that uses one does not apply: the README names the operators implemented.
 */
export function conditionHolds(condition: Statement['Condition'], context: Record<string, string>): boolean {
  if (!condition) return true;
  const lower = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [rawOp, entries] of Object.entries(condition)) {
    const ifExists = rawOp.endsWith('IfExists');
    const op = ifExists ? rawOp.slice(0, -'IfExists'.length) : rawOp;
    for (const [key, value] of Object.entries(entries ?? {})) {
      const actual = lower.get(key.toLowerCase());
      const wanted = asList(value).map(String);
      if (op === 'Null') {
        if (!wanted.some((w) => (w === 'true') === (actual === undefined))) return false;
        continue;
      }
      const operator = OPERATORS[op];
      if (!operator) return false;
      if (actual === undefined) {
        if (!(ifExists || operator.negated)) return false;
        continue;
      }
      const any = wanted.some((w) => operator.match(w, actual));
      if (operator.negated ? any : !any) return false;
    }
  }
  return true;
}

function statementsOf(content: string): Statement[] {
  try {
    const doc = JSON.parse(content) as { Statement?: unknown };
    return asList(doc.Statement) as Statement[];
  } catch {
    return [];
  }
}

function applies(s: Statement, auth: Authorization): boolean {
  const action = s.NotAction !== undefined ? !actionMatches(s.NotAction, auth.action) : actionMatches(s.Action, auth.action);
  if (!action) return false;
  const resource = s.NotResource !== undefined ? !resourceMatches(s.NotResource, auth.resource)
    : s.Resource === undefined || resourceMatches(s.Resource, auth.resource);
  return resource && conditionHolds(s.Condition, auth.context);
}

/** The account's path from the root: [root, OU…, account]. */
export function pathOf(state: SimState, accountId: string): string[] {
  const path = [accountId];
  let parent = state.org.accounts.get(accountId)?.parentId;
  for (let guard = 0; parent && guard < 10; guard++) {
    path.unshift(parent);
    parent = state.org.ous.get(parent)?.parentId;
  }
  return path;
}

export type Verdict = 'allowed' | 'explicit' | 'implicit';

/** Evaluates the SCPs on the account's path for one request. */
export function evaluateScps(state: SimState, accountId: string, auth: Authorization): Verdict {
  const store = policyStore(state);
  if (!store.enabled.has(SCP) || accountId === state.org.managementAccountId || !state.org.accounts.has(accountId)) return 'allowed';
  let implicit = false;
  for (const target of pathOf(state, accountId)) {
    let allowed = false;
    for (const id of attachedTo(state, target)) {
      const policy = store.policies.get(id);
      if (!policy) continue;
      for (const s of statementsOf(policy.content)) {
        if (!applies(s, auth)) continue;
        if (s.Effect === 'Deny') return 'explicit';
        if (s.Effect === 'Allow') allowed = true;
      }
    }
    if (!allowed) implicit = true;
  }
  return implicit ? 'implicit' : 'allowed';
}

/** The principal's ARN as IAM conditions see it: a role session is its role (aws:PrincipalArn), root is root. */
export function principalContext(caller: Caller, region: string): Record<string, string> {
  return {
    'aws:PrincipalArn': caller.roleArn ?? `arn:aws:iam::${caller.accountId}:root`,
    'aws:PrincipalAccount': caller.accountId,
    'aws:RequestedRegion': region,
  };
}

/** Service-linked roles are never restricted by SCPs. */
export function isServiceLinked(caller: Caller): boolean {
  return (caller.roleArn ?? '').includes(':role/aws-service-role/');
}

/** AWS's access-denied error as each protocol carries it. */
export function accessDenied(protocol: Protocol, caller: Caller, auth: Authorization, verdict: Exclude<Verdict, 'allowed'>): SimError {
  const on = auth.resource === '*' ? '' : ` on resource: ${auth.resource}`;
  const message = `User: ${caller.arn} is not authorized to perform: ${auth.action}${on} with an ${verdict} deny in a service control policy`;
  switch (protocol) {
    case 'ec2': return new SimError('UnauthorizedOperation', `You are not authorized to perform this operation. ${message}`, 403);
    case 'query': return new SimError('AccessDenied', message, 403);
    default: return new SimError('AccessDeniedException', message, 403);
  }
}

/**
 * The server's one hook: undefined when the call may proceed, or the AccessDenied error to answer with. Only calls
 * by member-account principals are evaluated.
 */
export function scpCheck(state: SimState, req: SimRequest, protocol: Protocol): SimError | undefined {
  const { caller } = req;
  if (caller.accountId === state.org.managementAccountId || isServiceLinked(caller)) return undefined;
  if (!policyStore(state).enabled.has(SCP)) return undefined;
  const auth: Authorization = { action: actionOf(req), resource: resourceOf(state, req), context: principalContext(caller, req.region) };
  const verdict = evaluateScps(state, caller.accountId, auth);
  if (verdict === 'allowed') return undefined;
  const err = accessDenied(protocol, caller, auth, verdict);
  // SQS's query-compatible JSON errors carry the query code in a header, which the SDK reads first
  if (req.service === 'sqs') err.headers = { 'x-amzn-query-error': 'AccessDenied;Sender' };
  return err;
}
