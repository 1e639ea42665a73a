// What a settings change does to a stack, in the configuration's words: the template's parameter defaults are the
// configuration's settings (stack/template.ts), and CloudFormation lists every parameter's value on the stack, so the
// two side by side say "policy.mode enforce → monitor" where a change-set summary would list a dozen resources.
import type { Stack } from '@aws-sdk/client-cloudformation';

/** Each template parameter and the configuration key it comes from. */
const SETTING_OF: Record<string, string> = {
  Mode: 'policy.mode',
  Directions: 'policy.directions',
  OnModify: 'policy.onModify',
  OnModifyUnknown: 'policy.onModifyUnknown',
  AllowPrincipals: 'policy.allowPrincipals',
  ExemptTag: 'policy.exemptTag',
  ExemptGroups: 'policy.exemptGroups',
  OnlyVpcs: 'policy.onlyVpcs',
  OnlyTag: 'policy.onlyTag',
  NotificationEmail: 'notifications.email',
  NotificationTopicArn: 'notifications.topicArn',
  NotifyOn: 'notifications.on',
  HomeRegion: 'trail.homeRegion',
  TrailRetentionDays: 'trail.retentionDays',
  ApprovalsTableArn: 'approvals (the store)',
  OnLookupError: 'approvals.onLookupError',
  SweepSchedule: 'approvals.sweepMinutes',
  SettleSeconds: 'policy.settleSeconds',
  LookupGraceMinutes: 'approvals.lookupErrorGraceMinutes',
  ReservedConcurrency: 'function.reservedConcurrency',
  PrefixListPrincipals: 'policy.prefixLists.principals',
  PrefixListCidrs: 'policy.prefixLists.cidrs',
  PrefixListExempt: 'policy.prefixLists.exempt',
  OnAssociate: 'policy.onAssociate',
};

const shown = (v: string | undefined) => (v === undefined ? '(unset)' : v === '' ? '(none)' : v);

/**
 * The settings whose value on the stack differs from the defaults deploy would send, as "KEY OLD → NEW", in the
 * template's order. Per-account parameters (CreateTrail) and derived ones (LogRetentionDays, the version) are left out.
 */
export function settingChanges(stack: Stack | undefined, defaults: Readonly<Record<string, string>>): string[] {
  if (!stack?.Parameters) return [];
  const deployed = new Map(stack.Parameters.map((p) => [p.ParameterKey, p.ParameterValue]));
  const out: string[] = [];
  for (const [name, key] of Object.entries(SETTING_OF)) {
    if (!(name in defaults) || !deployed.has(name)) continue;
    const before = deployed.get(name);
    if (before !== defaults[name]) out.push(`${key} ${shown(before)} → ${shown(defaults[name])}`);
  }
  return out;
}
