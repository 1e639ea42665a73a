// The Organizations operations StackSets relies on: MoveAccount (which triggers auto-deployment), and delegated
// administrators (List/Register/Deregister). Dispatched from services/organizations.ts.
import type { SimState } from '../state.js';
import { SimError, type Caller } from '../types.js';
import { stackSetsOf } from './model.js';
import { autoDeploy } from './auto-deploy.js';

export const ORG_STACKSET_OPERATIONS = new Set([
  'MoveAccount',
  'ListDelegatedAdministrators',
  'RegisterDelegatedAdministrator',
  'DeregisterDelegatedAdministrator',
]);

/** A delegated administrator may call Organizations' read operations, as AWS allows. */
export function isDelegatedAdmin(state: SimState, caller: Caller): boolean {
  return [...stackSetsOf(state).delegatedAdmins.values()].some((ids) => ids.includes(caller.accountId));
}

const text = (input: Record<string, unknown>, k: string) => (typeof input[k] === 'string' ? input[k] : '');

function parentExists(state: SimState, id: string): boolean {
  return id === state.org.rootId || state.org.ous.has(id);
}

export function handleOrgStackSets(state: SimState, operation: string, input: Record<string, unknown>): unknown {
  const admins = stackSetsOf(state).delegatedAdmins;
  switch (operation) {
    case 'MoveAccount': {
      const acct = state.org.accounts.get(text(input, 'AccountId'));
      if (!acct) throw new SimError('AccountNotFoundException', "You specified an account that doesn't exist.", 404);
      const source = text(input, 'SourceParentId');
      const dest = text(input, 'DestinationParentId');
      if (!parentExists(state, source) || acct.parentId !== source)
        throw new SimError(
          'SourceParentNotFoundException',
          "We can't find a source root or OU with the ParentId that you specified.",
          404,
        );
      if (!parentExists(state, dest))
        throw new SimError(
          'DestinationParentNotFoundException',
          "We can't find the destination container (a root or OU) with the ParentId that you specified.",
          404,
        );
      if (source === dest)
        throw new SimError(
          'DuplicateAccountException',
          'That account is already present in the specified destination.',
          409,
        );
      acct.parentId = dest;
      autoDeploy(state, acct.id);
      return {};
    }
    case 'ListDelegatedAdministrators': {
      const principal = text(input, 'ServicePrincipal');
      const ids = principal ? (admins.get(principal) ?? []) : [...new Set([...admins.values()].flat())];
      return {
        DelegatedAdministrators: ids.map((id) => {
          const a = state.org.accounts.get(id)!;
          return {
            Id: a.id,
            Name: a.name,
            Email: a.email,
            Status: a.status,
            JoinedMethod: a.joinedMethod,
            Arn: `arn:aws:organizations::${state.org.managementAccountId}:account/${state.org.id}/${a.id}`,
            JoinedTimestamp: Date.parse(a.joinedTimestamp) / 1000,
            DelegationEnabledDate: Date.parse(a.joinedTimestamp) / 1000,
          };
        }),
      };
    }
    case 'RegisterDelegatedAdministrator': {
      const id = text(input, 'AccountId');
      const principal = text(input, 'ServicePrincipal');
      if (!state.org.accounts.has(id))
        throw new SimError('AccountNotFoundException', "You specified an account that doesn't exist.", 404);
      if (id === state.org.managementAccountId)
        throw new SimError(
          'ConstraintViolationException',
          'You cannot register the management account as a delegated administrator.',
          400,
          'Sender',
          { Reason: 'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR' },
        );
      const ids = admins.get(principal) ?? [];
      if (ids.includes(id))
        throw new SimError(
          'AccountAlreadyRegisteredException',
          'The provided account is already a delegated administrator for your organization.',
          409,
        );
      admins.set(principal, [...ids, id]);
      return {};
    }
    case 'DeregisterDelegatedAdministrator': {
      const id = text(input, 'AccountId');
      const principal = text(input, 'ServicePrincipal');
      const ids = admins.get(principal) ?? [];
      if (!ids.includes(id))
        throw new SimError(
          'AccountNotRegisteredException',
          'The provided account is not a registered delegated administrator for your organization.',
          404,
        );
      admins.set(
        principal,
        ids.filter((x) => x !== id),
      );
      return {};
    }
    default:
      throw new SimError(
        'UnknownOperationException',
        `The simulator does not implement Organizations ${operation}`,
        400,
      );
  }
}
