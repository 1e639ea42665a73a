// Which accounts the stack set reaches and which guardrail deploys directly (the management account, and accounts
// sitting directly in a split OU), with the notes the plan prints about it. Deploy, status and remove all start here.
import type { GuardrailConfig } from '../../config/index.js';
import type { Session } from '../../fleet/session.js';
import { resolveAccounts, type TargetAccount, type TargetSet } from '../../fleet/targets.js';
import { ouTargets, type OuTargets } from './org-targets.js';

export interface SplitTargets {
  set: TargetSet;
  ou: OuTargets;
  mgmt: string | null;
  /** reached by the stack set's OU targets */
  viaSet: TargetAccount[];
  /** deployed with the direct engine */
  direct: TargetAccount[];
  notes: string[];
}

export async function splitTargets(
  session: Session,
  config: GuardrailConfig,
  selected: string[] | null,
  emit: (e: { type: 'discovered'; accounts: number; excluded: number }) => void,
): Promise<SplitTargets> {
  const set = await resolveAccounts(session, config, selected);
  const ou = await ouTargets(session.organizations(), config);
  const mgmt = set.managementAccountId;
  const viaSet = set.accounts.filter((a) => a.id !== mgmt && ou.ouOf.has(a.id));
  const direct = set.accounts.filter((a) => !viaSet.includes(a));
  emit({ type: 'discovered', accounts: set.accounts.length, excluded: set.excluded.length });
  const notes = targetNotes(
    ou,
    direct.map((a) => a.id),
    mgmt,
    config.stackName,
  );
  return { set, ou, mgmt, viaSet, direct, notes };
}

export function targetNotes(ou: OuTargets, directIds: string[], mgmt: string | null, name: string): string[] {
  const notes = [`Stack set ${name} targets ${ou.ous.join(', ')} (auto-deployment follows these OUs).`];
  for (const s of ou.split)
    notes.push(
      `excludeOUs: ${s.ou} contains ${s.excluded.join(', ')}, so its remaining child OUs are targeted instead.`,
    );
  if (mgmt && directIds.includes(mgmt))
    notes.push(
      `Management account ${mgmt} is deployed directly (stack ${name}): a service-managed stack set never reaches it.`,
    );
  const others = directIds.filter((id) => id !== mgmt);
  if (others.length > 0)
    notes.push(
      `${others.length} account(s) sit directly in a split OU (${others.join(', ')}) and are deployed directly.`,
    );
  return notes;
}
