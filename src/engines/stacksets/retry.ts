// Where the stacksets engine's stacks are, for retry: each instance's own stack (`StackSet-<name>-<uuid>`, from
// ListStackInstances, as status finds it) in the accounts the stack set reaches, and the direct stack in the others
// (the management account, accounts directly in a split OU). A target without an instance has nothing to retry.
import type { StackInstanceSummary } from '@aws-sdk/client-cloudformation';
import type { LocatedStack, StackPlaces } from '../retry.js';
import { checkDelegatedAdmin } from './access.js';
import { adminClient } from './deploy.js';
import { describeStackSet, keyOf, listInstances } from './plan.js';
import { stackNameOf } from './settings.js';
import { splitTargets } from './split-targets.js';

export const stackSetPlaces: StackPlaces = {
  engine: 'stacksets',
  async locate(fleet) {
    const { session, config, selectedAccounts, emit } = fleet.input;
    await checkDelegatedAdmin(session.organizations(), config, session.identity.account);
    const { set, viaSet, direct, notes } = await splitTargets(session, config, selectedAccounts, emit);
    const directTargets = await fleet.expand(set, direct);
    const admin = adminClient(session, config);
    const callAs = config.stacksets.callAs;
    let instances = new Map<string, StackInstanceSummary>();
    if (viaSet.length > 0) {
      if (await describeStackSet(admin, config.stackName, callAs))
        instances = await listInstances(admin, config.stackName, callAs);
      else
        notes.push(`Stack set ${config.stackName} does not exist: the accounts it would reach have nothing to retry.`);
    }
    const stacks: LocatedStack[] = directTargets.map((target) => ({ target, stackName: config.stackName }));
    for (const a of viaSet) {
      for (const region of config.regions as string[]) {
        const stackName = stackNameOf(instances.get(keyOf(a.id, region))?.StackId);
        stacks.push({
          target: { account: a.id, accountName: a.name, region, role: a.role },
          stackName,
          ...(stackName ? {} : { why: 'no stack instance' }),
        });
      }
    }
    return { stacks, notes };
  },
};
