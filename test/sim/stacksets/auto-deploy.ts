// Auto-deployment: an account that arrives in (or moves into) an OU a stack set targets gets the stack set's
// instances in the stack set's regions, with no call from anyone; one that leaves loses them, unless
// RetainStacksOnAccountRemoval is set (then the stacks stay and only the instances go).
import type { SimState } from '../state.js';
import { instanceKey, stackSetsOf, type Preferences } from './model.js';
import { startOperation } from './operations.js';
import { ancestry } from './targets.js';

const AUTO_PREFS: Preferences = {
  regionConcurrency: 'PARALLEL',
  regionOrder: [],
  concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
  maxConcurrentPercentage: 100,
  failureTolerancePercentage: 100,
};

/** Call after an account was created in, or moved to, its current parent. */
export function autoDeploy(state: SimState, accountId: string): void {
  if (accountId === state.org.managementAccountId) return;
  const line = ancestry(state, accountId);
  for (const set of stackSetsOf(state).stackSets.values()) {
    if (set.status !== 'ACTIVE' || !set.autoDeployment.enabled || set.regions.length === 0) continue;
    const ouId = set.ouIds.find((ou) => line.includes(ou));
    const held = [...set.instances.values()].filter((i) => i.account === accountId);
    if (ouId) {
      const regions = set.regions.filter((r) => !set.instances.has(instanceKey(accountId, r)));
      if (regions.length === 0) continue;
      startOperation(state, set, {
        action: 'CREATE',
        auto: true,
        prefs: AUTO_PREFS,
        targets: regions.map((region) => ({ account: accountId, region, ouId })),
      });
    } else if (held.length > 0) {
      startOperation(state, set, {
        action: 'DELETE',
        auto: true,
        prefs: AUTO_PREFS,
        retainStacks: set.autoDeployment.retainStacksOnAccountRemoval,
        targets: held.map((i) => ({ account: i.account, region: i.region, ouId: i.ouId })),
      });
    }
  }
}
