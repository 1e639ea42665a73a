// Before any StackSets work: the caller may act for the organisation (the management account, or a registered
// delegated administrator with callAs DELEGATED_ADMIN), and StackSets has trusted access to Organizations.
import {
  ActivateOrganizationsAccessCommand,
  DescribeOrganizationsAccessCommand,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import { ListDelegatedAdministratorsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { GuardrailConfig } from '../../config/index.js';
import { GuardrailError } from '../../errors.js';
import { STACKSETS_PRINCIPAL } from './settings.js';

const ACCESS = 'STACKSETS_ACCESS';

/** callAs DELEGATED_ADMIN from an account that is not registered for StackSets: exit 2, with the command to run. */
export async function checkDelegatedAdmin(
  org: OrganizationsClient,
  config: GuardrailConfig,
  account: string,
): Promise<void> {
  if (config.stacksets.callAs !== 'DELEGATED_ADMIN') return;
  let registered: string[] = [];
  try {
    const out = await org.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: STACKSETS_PRINCIPAL }));
    registered = (out.DelegatedAdministrators ?? []).map((a) => a.Id ?? '');
  } catch (err) {
    if ((err as Error).name !== 'AccessDeniedException') throw err;
  }
  if (registered.includes(account)) return;
  throw new GuardrailError(
    ACCESS,
    2,
    `stacksets.callAs is DELEGATED_ADMIN, but account ${account} is not a registered delegated administrator for StackSets`,
    {
      suggestion:
        'In the management account run: aws organizations register-delegated-administrator ' +
        `--account-id ${account} --service-principal ${STACKSETS_PRINCIPAL}; or set stacksets.callAs: SELF and run guardrail ` +
        'from the management account.',
    },
  );
}

export interface AccessState {
  enabled: boolean;
  /** true when this run activated it */
  activated: boolean;
}

/**
 * Trusted access between StackSets and Organizations. Missing: with `activate` (deploy --yes) it is turned on;
 * otherwise exit 2 before anything changes, naming the command. `planOnly` reports it without failing.
 */
export async function ensureTrustedAccess(
  cfn: CloudFormationClient,
  config: GuardrailConfig,
  opts: { activate: boolean; planOnly: boolean },
): Promise<AccessState> {
  const CallAs = config.stacksets.callAs;
  const out = await cfn.send(new DescribeOrganizationsAccessCommand({ CallAs }));
  if (out.Status === 'ENABLED') return { enabled: true, activated: false };
  if (opts.planOnly) return { enabled: false, activated: false };
  if (!opts.activate) {
    throw new GuardrailError(
      ACCESS,
      2,
      `StackSets has no trusted access to the organisation (status ${out.Status ?? 'unknown'})`,
      {
        suggestion:
          'Activate it once from the management account: aws cloudformation activate-organizations-access ' +
          '(or rerun with --yes and guardrail does it), then deploy again.',
      },
    );
  }
  await cfn.send(new ActivateOrganizationsAccessCommand({ CallAs }));
  return { enabled: true, activated: true };
}
