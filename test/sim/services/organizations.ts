// AWS Organizations (awsJson1_1): the organisation, its roots, OUs and accounts, paginated as AWS paginates them.
import { createHmac } from 'node:crypto';
import { SimError, type Caller, type Service } from '../types.js';
import type { OrgAccount, OrgUnit, SimState } from '../state.js';
import { ORG_STACKSET_OPERATIONS, handleOrgStackSets, isDelegatedAdmin } from '../stacksets/organizations-ops.js';
import { handlePolicyOperation, rootShape } from './org-policies.js';

const READ_ONLY = /^(Describe|List)/;

/** AWS caps every Organizations list page at 20 items. */
const MAX_PAGE = 20;

export const organizations: Service = {
  name: 'organizations',
  protocol: 'json',
  // the service model gives TooManyRequestsException httpError 429, and the not-found errors 404
  throttle: {
    code: 'TooManyRequestsException',
    status: 429,
    message:
      'You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.',
  },
  handle(ctx, req) {
    const { state } = ctx;
    const input = req.input;
    // a delegated administrator may read the organisation (and list delegated administrators), as in AWS
    if (
      req.operation !== 'DescribeOrganization' &&
      !(READ_ONLY.test(req.operation) && isDelegatedAdmin(state, req.caller))
    ) {
      requireManagement(state, req.caller);
    }
    if (ORG_STACKSET_OPERATIONS.has(req.operation)) return handleOrgStackSets(state, req.operation, input);
    switch (req.operation) {
      case 'DescribeOrganization':
        return describeOrganization(state);
      case 'ListRoots': {
        const roots = [rootShape(state)];
        return page(state, req.operation, input, roots, 'Roots');
      }
      case 'ListOrganizationalUnitsForParent': {
        const parentId = requireParent(state, input.ParentId);
        const ous = [...state.org.ous.values()]
          .filter((ou) => ou.parentId === parentId)
          .map((ou) => ouShape(state, ou));
        return page(state, req.operation, input, ous, 'OrganizationalUnits');
      }
      case 'ListAccountsForParent': {
        const parentId = requireParent(state, input.ParentId);
        const accounts = [...state.org.accounts.values()]
          .filter((a) => a.parentId === parentId)
          .map((a) => accountShape(state, a));
        return page(state, req.operation, input, accounts, 'Accounts');
      }
      case 'ListAccounts': {
        const accounts = [...state.org.accounts.values()].map((a) => accountShape(state, a));
        return page(state, req.operation, input, accounts, 'Accounts');
      }
      case 'ListParents': {
        const childId = typeof input.ChildId === 'string' ? input.ChildId : '';
        if (!childId) throw missing('ChildId');
        const parentId = state.org.accounts.get(childId)?.parentId ?? state.org.ous.get(childId)?.parentId;
        if (!parentId)
          throw new SimError(
            'ChildNotFoundException',
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
            404,
          );
        const parents = [{ Id: parentId, Type: parentId === state.org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }];
        return page(state, req.operation, input, parents, 'Parents');
      }
      case 'DescribeAccount': {
        const accountId = typeof input.AccountId === 'string' ? input.AccountId : '';
        if (!accountId) throw missing('AccountId');
        const account = state.org.accounts.get(accountId);
        if (!account)
          throw new SimError('AccountNotFoundException', "You specified an account that doesn't exist.", 404);
        return { Account: accountShape(state, account) };
      }
      default: {
        const result = handlePolicyOperation(state, req.operation, input, (items, key) =>
          page(state, req.operation, input, items, key),
        );
        if (result !== undefined) return result;
        throw new SimError(
          'UnknownOperationException',
          `The simulator does not implement Organizations ${req.operation}`,
          400,
        );
      }
    }
  },
};

function requireManagement(state: SimState, caller: Caller): void {
  if (caller.accountId !== state.org.managementAccountId) {
    throw new SimError('AccessDeniedException', "You don't have permissions to access this resource.", 403);
  }
}

function invalidInput(reason: string, message: string): SimError {
  return new SimError('InvalidInputException', message, 400, 'Sender', { Reason: reason });
}

function missing(field: string): SimError {
  return invalidInput('INPUT_REQUIRED', `You must specify a value for ${field}.`);
}

function requireParent(state: SimState, value: unknown): string {
  const parentId = typeof value === 'string' ? value : '';
  if (!parentId) throw missing('ParentId');
  if (!/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/.test(parentId)) {
    throw invalidInput('INVALID_PATTERN', 'You provided a value that does not match the required pattern.');
  }
  if (parentId !== state.org.rootId && !state.org.ous.has(parentId)) {
    throw new SimError(
      'ParentNotFoundException',
      "We can't find a root or OU with the ParentId that you specified.",
      404,
    );
  }
  return parentId;
}

function orgArnPrefix(state: SimState): string {
  return `arn:aws:organizations::${state.org.managementAccountId}`;
}

function describeOrganization(state: SimState) {
  const mgmt = state.org.accounts.get(state.org.managementAccountId);
  return {
    Organization: {
      Id: state.org.id,
      Arn: `${orgArnPrefix(state)}:organization/${state.org.id}`,
      FeatureSet: 'ALL',
      MasterAccountArn: `${orgArnPrefix(state)}:account/${state.org.id}/${state.org.managementAccountId}`,
      MasterAccountId: state.org.managementAccountId,
      MasterAccountEmail: mgmt?.email ?? '',
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    },
  };
}

/** The OU path from the root, as Organizations writes `Path`: o-xxx/r-xxxx/ou-a/ou-b/ */
function pathTo(state: SimState, parentId: string, leaf: string): string {
  const parts = [leaf];
  let id: string | undefined = parentId;
  for (let guard = 0; id && guard < 10; guard++) {
    parts.unshift(id);
    id = state.org.ous.get(id)?.parentId;
  }
  return `${state.org.id}/${parts.join('/')}/`;
}

function ouShape(state: SimState, ou: OrgUnit) {
  return {
    Id: ou.id,
    Arn: `${orgArnPrefix(state)}:ou/${state.org.id}/${ou.id}`,
    Name: ou.name,
    Path: pathTo(state, ou.parentId, ou.id),
  };
}

function accountShape(state: SimState, a: OrgAccount) {
  return {
    Id: a.id,
    Arn: `${orgArnPrefix(state)}:account/${state.org.id}/${a.id}`,
    Email: a.email,
    Name: a.name,
    Status: a.status,
    State: a.status,
    JoinedMethod: a.joinedMethod,
    // awsJson1_1 timestamps are epoch seconds
    JoinedTimestamp: Date.parse(a.joinedTimestamp) / 1000,
  };
}

/**
 * Pages a list: MaxResults 1..20 (20 when absent), NextToken opaque and tied to the operation and the position.
 * A token from another operation, or one that was tampered with, is rejected as AWS rejects it.
 */
function page<T>(state: SimState, operation: string, input: Record<string, unknown>, items: T[], key: string) {
  let size = MAX_PAGE;
  if (input.MaxResults !== undefined && input.MaxResults !== null) {
    size = Number(input.MaxResults);
    if (!Number.isInteger(size) || size < 1)
      throw invalidInput('MIN_VALUE_EXCEEDED', 'You provided a value that is less than the minimum allowed value.');
    if (size > MAX_PAGE)
      throw invalidInput('MAX_VALUE_EXCEEDED', 'You provided a value that exceeds the maximum allowed value.');
  }
  let start = 0;
  if (input.NextToken !== undefined && input.NextToken !== null) {
    const decoded = decodeToken(state, operation, input.NextToken);
    if (decoded === undefined || decoded > items.length) {
      throw invalidInput(
        'INVALID_NEXT_TOKEN',
        'You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.',
      );
    }
    start = decoded;
  }
  const end = Math.min(start + size, items.length);
  return {
    [key]: items.slice(start, end),
    NextToken: end < items.length ? encodeToken(state, operation, end) : undefined,
  };
}

function tokenMac(state: SimState, operation: string, offset: number): string {
  return createHmac('sha256', `sim-org-${state.seed}`)
    .update(`${operation}:${offset}`)
    .digest('base64url')
    .slice(0, 22);
}

function encodeToken(state: SimState, operation: string, offset: number): string {
  return Buffer.from(`${offset}.${tokenMac(state, operation, offset)}`).toString('base64url');
}

function decodeToken(state: SimState, operation: string, token: unknown): number | undefined {
  if (typeof token !== 'string' || !token) return undefined;
  const [offsetText, mac] = Buffer.from(token, 'base64url').toString('utf8').split('.');
  const offset = Number(offsetText);
  if (!Number.isInteger(offset) || offset < 0 || mac !== tokenMac(state, operation, offset)) return undefined;
  return offset;
}
