// Applying a stack set plan: create the stack set if needed, then the canary account's instances alone, then the
// rest, each step one stack set operation whose per-account results come back as rows.
import {
  CreateStackInstancesCommand, CreateStackSetCommand, UpdateStackInstancesCommand, UpdateStackSetCommand,
  type DeploymentTargets, type Parameter, type StackSetOperationResultSummary,
} from '@aws-sdk/client-cloudformation';
import type { GuardrailConfig } from '../../config/index.js';
import { SETTINGS_TAG, VERSION_TAG, type RenderedTemplate } from '../../stack/template.js';
import type { TemplateSource } from '../../stack/template-bucket.js';

/** The stack set's tags, which StackSets puts on every instance's stack: the version and the settings digest. */
const setTags = (r: RenderedTemplate) => [{ Key: VERSION_TAG, Value: r.version }, { Key: SETTINGS_TAG, Value: r.settingsDigest }];
import { keyOf, overrideChange, type AccountPlan, type StackSetPlan } from './plan.js';
import { runOperation, type OperationContext } from './operation.js';
import { preferences } from './settings.js';
import type { OuTargets } from './org-targets.js';

export interface ApplyInput {
  op: OperationContext;
  config: GuardrailConfig;
  plan: StackSetPlan;
  rendered: RenderedTemplate;
  /** the rendered template as a presigned URL from the caller's template bucket in the stack set's region */
  template: TemplateSource;
  ou: OuTargets;
  /** the accounts that need something, canary first */
  changing: AccountPlan[];
  onOperation(what: string, status: string, id: string): void;
}

export interface ApplyOutcome {
  results: Map<string, StackSetOperationResultSummary>;
  stoppedBy: 'canary' | null;
}

/** INTERSECTION with the accounts, or DIFFERENCE with the OUs' other accounts when that list is shorter. */
export function targetsFor(ou: OuTargets, accounts: string[]): DeploymentTargets {
  const others = [...ou.ouOf.keys()].filter((id) => !accounts.includes(id));
  if (others.length === 0) return { OrganizationalUnitIds: ou.ous, AccountFilterType: 'NONE' };
  if (others.length < accounts.length) return { OrganizationalUnitIds: ou.ous, Accounts: others, AccountFilterType: 'DIFFERENCE' };
  return { OrganizationalUnitIds: ou.ous, Accounts: accounts, AccountFilterType: 'INTERSECTION' };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

function setParameters(plan: StackSetPlan): Parameter[] {
  return [{ ParameterKey: 'CreateTrail', ParameterValue: String(plan.defaultCreateTrail) }];
}

export async function createStackSet(input: ApplyInput): Promise<void> {
  const { config, rendered } = input;
  await input.op.cfn.send(new CreateStackSetCommand({
    StackSetName: config.stackName, ...(await input.template.forApply()), Parameters: setParameters(input.plan),
    Description: 'guardrail: reverts unapproved security-group rule changes (deployed by guardrail)',
    Capabilities: ['CAPABILITY_IAM'], PermissionModel: 'SERVICE_MANAGED', CallAs: config.stacksets.callAs,
    AutoDeployment: { Enabled: config.stacksets.autoDeploy, RetainStacksOnAccountRemoval: config.stacksets.retainStacksOnAccountRemoval },
    ManagedExecution: { Active: config.stacksets.managedExecution }, Tags: setTags(rendered),
  }));
}

type Step = { what: string; kind: 'create' | 'update'; send: () => Promise<string | undefined> };

/** The operations one group of accounts needs, in order. `all`: the template update reaches every instance. */
function stepsFor(input: ApplyInput, accounts: AccountPlan[], canary: boolean, updateAll: boolean): Step[] {
  const { config, plan, rendered, ou, op } = input;
  const name = config.stackName;
  const CallAs = config.stacksets.callAs;
  const home = config.trail.homeRegion;
  const prefs = (regions: string[]) => preferences(config, regions, canary);
  const ids = (list: AccountPlan[]) => list.map((p) => p.account.id);
  const steps: Step[] = [];
  const label = canary ? 'canary: ' : '';
  if (plan.setAction === 'update' && (canary || updateAll)) {
    const holders = accounts.filter((p) => p.missingRegions.length < plan.regions.length);
    if (updateAll || holders.length > 0) {
      steps.push({ what: `${label}update the stack set (${plan.setReason})`, kind: 'update', send: async () => (await op.cfn.send(new UpdateStackSetCommand({
        StackSetName: name, ...(await input.template.forApply()), Parameters: setParameters(plan), Capabilities: ['CAPABILITY_IAM'], CallAs,
        Tags: setTags(rendered), OperationPreferences: prefs(plan.regions),
        AutoDeployment: { Enabled: config.stacksets.autoDeploy, RetainStacksOnAccountRemoval: config.stacksets.retainStacksOnAccountRemoval },
        ManagedExecution: { Active: config.stacksets.managedExecution },
        DeploymentTargets: canary ? targetsFor(ou, ids(holders)) : { OrganizationalUnitIds: ou.ous, AccountFilterType: 'NONE' },
        Regions: plan.regions,
      }))).OperationId });
    }
  }
  const creating = accounts.filter((p) => p.missingRegions.length > 0);
  for (const [key, group] of groupBy(creating, (p) => `${p.missingRegions.join(',')}|${p.missingRegions.includes(home) ? overrideChange(p, plan.defaultCreateTrail) ?? '' : ''}`)) {
    const [regionList, override] = key.split('|');
    const regions = regionList!.split(',');
    steps.push({ what: `${label}add instances for ${group.length} account(s) × ${regions.length} region(s)${override ? ` with CreateTrail=${override}` : ''}`,
      kind: 'create', send: async () => (await op.cfn.send(new CreateStackInstancesCommand({
        StackSetName: name, CallAs, Regions: regions, DeploymentTargets: targetsFor(ou, ids(group)), OperationPreferences: prefs(regions),
        ...(override ? { ParameterOverrides: [{ ParameterKey: 'CreateTrail', ParameterValue: override }] } : {}),
      }))).OperationId });
  }
  if (plan.setAction !== 'update') {
    const stale = accounts.filter((p) => p.outdated.length > 0);
    for (const [regionList, group] of groupBy(stale, (p) => p.outdated.map((o) => o.region).join(','))) {
      const regions = regionList.split(',');
      steps.push({ what: `${label}bring ${group.length} account(s)' outdated instances current`, kind: 'update', send: async () => (await op.cfn.send(new UpdateStackInstancesCommand({
        StackSetName: name, CallAs, Regions: regions, DeploymentTargets: targetsFor(ou, ids(group)), OperationPreferences: prefs(regions),
      }))).OperationId });
    }
  }
  const overriding = accounts.filter((p) => !p.missingRegions.includes(home) && overrideChange(p, plan.defaultCreateTrail) !== undefined);
  for (const [value, group] of groupBy(overriding, (p) => overrideChange(p, plan.defaultCreateTrail)!)) {
    steps.push({ what: `${label}override CreateTrail=${value} for ${group.length} account(s)`, kind: 'update', send: async () => (await op.cfn.send(new UpdateStackInstancesCommand({
      StackSetName: name, CallAs, Regions: [home], DeploymentTargets: targetsFor(ou, ids(group)), OperationPreferences: prefs([home]),
      ParameterOverrides: [{ ParameterKey: 'CreateTrail', ParameterValue: value }],
    }))).OperationId });
  }
  return steps;
}

async function runSteps(input: ApplyInput, steps: Step[], results: ApplyOutcome['results']): Promise<void> {
  for (const step of steps) {
    const out = await runOperation(input.op, step.kind, step.what, step.send);
    input.onOperation(step.what, out.status, out.operationId);
    for (const r of out.results) results.set(keyOf(r.Account ?? '', r.Region ?? ''), r);
  }
}

export async function applyStackSet(input: ApplyInput, canaryCount: number): Promise<ApplyOutcome> {
  const results: ApplyOutcome['results'] = new Map();
  const canary = input.changing.slice(0, canaryCount);
  const rest = input.changing.slice(canary.length);
  if (canary.length > 0) {
    await runSteps(input, stepsFor(input, canary, true, false), results);
    const failed = [...results.values()].some((r) => r.Status === 'FAILED');
    if (failed) return { results, stoppedBy: 'canary' };
  }
  // the template update goes to every instance once the canary holds; new instances get the new template anyway
  const updateAll = input.plan.setAction === 'update' && input.plan.exists;
  if (rest.length > 0 || updateAll) await runSteps(input, stepsFor(input, rest, false, updateAll), results);
  return { results, stoppedBy: null };
}
