// Service control policies, evaluated for calls made by principals of member accounts: an explicit Deny in any SCP
// on the account's path (root, OUs, the account) refuses the call, and so does a level of that path where no SCP
// allows the action (an implicit deny). The management account and service-linked roles are exempt, as in AWS.
// Evaluation needs the IAM action (service prefix + operation) and the resource ARN: scp-resources.ts computes it
// for the operations the simulator serves.
import { SimError, type Caller, type Protocol, type SimRequest } from './types.js';
import { authorizationsOf } from './scp-resources.js';
import {
  conditionHolds as sharedConditionHolds,
  resourcePatternMatches,
  wildcard,
  type PolicyContext,
} from './policy-conditions.js';
import type { SimState } from './state.js';
import { attachedTo, policyStore, SCP } from './services/org-policies.js';

export interface Authorization {
  /** e.g. events:DisableRule */
  action: string;
  /** the resource ARN, or '*' when the operation has none the simulator computes */
  resource: string;
  /** aws:PrincipalArn etc.; a multivalued key (aws:TagKeys) is a list */
  context: PolicyContext;
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

/** Action names match case-insensitively, with * and ? wildcards. */
function actionMatches(patterns: unknown, action: string): boolean {
  return asList(patterns).some((p) => typeof p === 'string' && wildcard(p, 'i').test(action));
}

/**
 * One condition block (policy-conditions.ts): operators, the ForAnyValue/ForAllValues set operators for multivalued
 * keys, and policy variables in the values.
 */
export function conditionHolds(condition: Statement['Condition'], context: PolicyContext): boolean {
  return sharedConditionHolds(condition, context);
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
  const action =
    s.NotAction !== undefined ? !actionMatches(s.NotAction, auth.action) : actionMatches(s.Action, auth.action);
  if (!action) return false;
  const resource =
    s.NotResource !== undefined
      ? !resourcePatternMatches(s.NotResource, auth.resource, auth.context)
      : s.Resource === undefined || resourcePatternMatches(s.Resource, auth.resource, auth.context);
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
  if (!store.enabled.has(SCP) || accountId === state.org.managementAccountId || !state.org.accounts.has(accountId))
    return 'allowed';
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
export function principalContext(caller: Caller, region: string): PolicyContext {
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
export function accessDenied(
  protocol: Protocol,
  caller: Caller,
  auth: Authorization,
  verdict: Exclude<Verdict, 'allowed'>,
): SimError {
  const on = auth.resource === '*' ? '' : ` on resource: ${auth.resource}`;
  const message = `User: ${caller.arn} is not authorized to perform: ${auth.action}${on} with an ${verdict} deny in a service control policy`;
  switch (protocol) {
    case 'ec2':
      return new SimError('UnauthorizedOperation', `You are not authorized to perform this operation. ${message}`, 403);
    case 'query':
    case 'rest-xml':
      return new SimError('AccessDenied', message, 403);
    default:
      return new SimError('AccessDeniedException', message, 403);
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
  // one request can need several authorizations (a resource each, or a second action such as ec2:CreateTags for
  // the tags of a create call): any one refused refuses the call
  for (const auth of authorizationsOf(state, req, principalContext(caller, req.region))) {
    const verdict = evaluateScps(state, caller.accountId, auth);
    if (verdict === 'allowed') continue;
    const err = accessDenied(protocol, caller, auth, verdict);
    // SQS's query-compatible JSON errors carry the query code in a header, which the SDK reads first
    if (req.service === 'sqs') err.headers = { 'x-amzn-query-error': 'AccessDenied;Sender' };
    return err;
  }
  return undefined;
}
