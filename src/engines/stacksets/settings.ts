// What guardrail's configuration means to the StackSets API: CallAs, operation preferences, and the instance stack
// name, in one place.
import type { StackSetOperationPreferences } from '@aws-sdk/client-cloudformation';
import type { GuardrailConfig } from '../../config/index.js';

export const STACKSETS_PRINCIPAL = 'member.org.stacksets.cloudformation.amazonaws.com';

export function callAs(config: GuardrailConfig): 'SELF' | 'DELEGATED_ADMIN' {
  return config.stacksets.callAs;
}

/** The operation preferences for a rollout; `canary` runs one account at a time and tolerates nothing. */
export function preferences(config: GuardrailConfig, regions: string[], canary = false): StackSetOperationPreferences {
  const s = config.stacksets;
  const home = config.trail.homeRegion;
  // the trail's home region first: its instances carry the trail
  const regionOrder = [...regions].sort((a, b) => (a === home ? -1 : b === home ? 1 : a.localeCompare(b)));
  if (canary) {
    return {
      RegionConcurrencyType: s.regionConcurrency,
      RegionOrder: regionOrder,
      MaxConcurrentCount: 1,
      FailureToleranceCount: 0,
    };
  }
  return {
    RegionConcurrencyType: s.regionConcurrency,
    RegionOrder: regionOrder,
    ConcurrencyMode: s.concurrencyMode,
    MaxConcurrentPercentage: s.maxConcurrentPercentage,
    FailureTolerancePercentage: s.failureTolerancePercentage,
  };
}

/** The instance's stack name from its stack id (arn:…:stack/StackSet-guardrail-<uuid>/<uuid>). */
export function stackNameOf(stackId: string | undefined): string | null {
  return stackId?.split('/')[1] ?? null;
}
