// Which accounts an operation reaches: service-managed deployment targets (OUs, with Accounts and AccountFilterType)
// resolved against the organisation, and who may call (the management account, or a registered delegated admin).
import type { SimState } from '../state.js';
import { SimError, type Caller } from '../types.js';
import { STACKSETS_PRINCIPAL, stackSetsOf } from './model.js';

export function validation(message: string): SimError {
  return new SimError('ValidationError', message);
}

/** CallAs SELF needs the management account; DELEGATED_ADMIN needs an account registered for StackSets. */
export function checkCaller(state: SimState, caller: Caller, callAs: string | undefined): void {
  if (callAs === 'DELEGATED_ADMIN') {
    const admins = stackSetsOf(state).delegatedAdmins.get(STACKSETS_PRINCIPAL) ?? [];
    if (!admins.includes(caller.accountId)) {
      throw validation(
        `Account ${caller.accountId} is not registered as a delegated administrator for ${STACKSETS_PRINCIPAL}`,
      );
    }
    return;
  }
  if (callAs !== undefined && callAs !== 'SELF') throw validation(`Invalid CallAs value ${callAs}`);
}

export function checkAccess(state: SimState): void {
  if (!stackSetsOf(state).organizationsAccess) {
    throw validation('You must enable organizations access to operate a service managed stack set');
  }
}

/** The OU an account sits in, and every OU above it up to the root. */
export function ancestry(state: SimState, accountId: string): string[] {
  const out: string[] = [];
  let id = state.org.accounts.get(accountId)?.parentId;
  for (let guard = 0; id && guard < 10; guard++) {
    out.push(id);
    id = id === state.org.rootId ? undefined : state.org.ous.get(id)?.parentId;
  }
  return out;
}

export interface DeploymentTargets {
  OrganizationalUnitIds?: string[];
  Accounts?: string[];
  AccountFilterType?: string;
}

/** Accounts (not the management account: a service-managed stack set never reaches it) and the targeted OU of each. */
export function resolveTargets(
  state: SimState,
  targets: DeploymentTargets | undefined,
): { account: string; ouId: string }[] {
  const ous = (targets?.OrganizationalUnitIds ?? []).map(String);
  const accounts = (targets?.Accounts ?? []).map(String);
  const filter = targets?.AccountFilterType ?? 'NONE';
  if (ous.length === 0)
    throw validation('DeploymentTargets.OrganizationalUnitIds is required for service managed stack sets');
  if (!['NONE', 'INTERSECTION', 'DIFFERENCE', 'UNION'].includes(filter))
    throw validation(`Invalid AccountFilterType ${filter}`);
  for (const ou of ous) {
    if (ou !== state.org.rootId && !state.org.ous.has(ou)) {
      throw validation(`OrganizationalUnitIds [${ou}] do not exist in the organization`);
    }
  }
  const out = new Map<string, string>();
  for (const acct of state.org.accounts.values()) {
    if (acct.id === state.org.managementAccountId) continue;
    const line = ancestry(state, acct.id);
    const ou = ous.find((o) => line.includes(o));
    if (ou) out.set(acct.id, ou);
  }
  if (filter === 'INTERSECTION') for (const id of [...out.keys()]) if (!accounts.includes(id)) out.delete(id);
  if (filter === 'DIFFERENCE') for (const id of accounts) out.delete(id);
  if (filter === 'UNION') {
    for (const id of accounts) {
      if (id !== state.org.managementAccountId && state.org.accounts.has(id) && !out.has(id))
        out.set(id, state.org.accounts.get(id)!.parentId);
    }
  }
  return [...out.entries()].map(([account, ouId]) => ({ account, ouId }));
}
