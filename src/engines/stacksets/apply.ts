// Applying a stack set plan: create the stack set if needed, then the canary account's instances alone, then the
// rest, each step one stack set operation whose per-account results come back as rows.
import {
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  UpdateStackInstancesCommand,
  UpdateStackSetCommand,
  type DeploymentTargets,
  type Parameter,
  type StackSetOperationResultSummary,
} from '@aws-sdk/client-cloudformation';
import type { GuardrailConfig } from '../../config/index.js';
import { SETTINGS_TAG, VERSION_TAG, type RenderedTemplate } from '../../stack/template.js';
import type { TemplateSource } from '../../stack/template-bucket.js';

/** The stack set's tags, which StackSets puts on every instance's stack: the version and the settings digest. */
const setTags = (r: RenderedTemplate) => [
  { Key: VERSION_TAG, Value: r.version },
  { Key: SETTINGS_TAG, Value: r.settingsDigest },
];
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
  if (others.length < accounts.length)
    return { OrganizationalUnitIds: ou.ous, Accounts: others, AccountFilterType: 'DIFFERENCE' };
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
  await input.op.cfn.send(
    new CreateStackSetCommand({
      StackSetName: config.stackName,
      ...(await input.template.forApply()),
      Parameters: setParameters(input.plan),
      Description: 'guardrail: reverts unapproved security-group rule changes (deployed by guardrail)',
      Capabilities: ['CAPABILITY_IAM'],
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: config.stacksets.callAs,
      AutoDeployment: {
        Enabled: config.stacksets.autoDeploy,
        RetainStacksOnAccountRemoval: config.stacksets.retainStacksOnAccountRemoval,
      },
      ManagedExecution: { Active: config.stacksets.managedExecution },
      Tags: setTags(rendered),
    }),
  );
}

type Step = { what: string; kind: 'create' | 'update'; send: () => Promise<string | undefined> };

/** What every step of one group shares: names, the operation preferences, the canary's label. */
interface StepContext {
  input: ApplyInput;
  name: string;
  CallAs: ApplyInput['config']['stacksets']['callAs'];
  home: string;
  prefs: (regions: string[]) => ReturnType<typeof preferences>;
  label: string;
  canary: boolean;
}

function stepContext(input: ApplyInput, canary: boolean): StepContext {
  const { config } = input;
  return {
    input,
    name: config.stackName,
    CallAs: config.stacksets.callAs,
    home: config.trail.homeRegion,
    prefs: (regions: string[]) => preferences(config, regions, canary),
    label: canary ? 'canary: ' : '',
    canary,
  };
}

const ids = (list: AccountPlan[]) => list.map((p) => p.account.id);

/** The operations one group of accounts needs, in order. `all`: the template update reaches every instance. */
function stepsFor(input: ApplyInput, accounts: AccountPlan[], canary: boolean, updateAll: boolean): Step[] {
  const { plan } = input;
  const c = stepContext(input, canary);
  const steps: Step[] = [];
  if (plan.setAction === 'update' && (canary || updateAll)) steps.push(...setUpdateSteps(c, accounts, updateAll));
  steps.push(...addInstanceSteps(c, accounts));
  if (plan.setAction !== 'update') steps.push(...outdatedSteps(c, accounts));
  steps.push(...overrideSteps(c, accounts));
  return steps;
}

/** The stack set's own update (template, parameters, tags): the canary's holders only, or every instance. */
function setUpdateSteps(c: StepContext, accounts: AccountPlan[], updateAll: boolean): Step[] {
  const { config, plan, rendered, ou, op } = c.input;
  const holders = accounts.filter((p) => p.missingRegions.length < plan.regions.length);
  if (!updateAll && holders.length === 0) return [];
  return [
    {
      what: `${c.label}update the stack set (${plan.setReason})`,
      kind: 'update',
      send: async () =>
        (
          await op.cfn.send(
            new UpdateStackSetCommand({
              StackSetName: c.name,
              ...(await c.input.template.forApply()),
              Parameters: setParameters(plan),
              Capabilities: ['CAPABILITY_IAM'],
              CallAs: c.CallAs,
              Tags: setTags(rendered),
              OperationPreferences: c.prefs(plan.regions),
              AutoDeployment: {
                Enabled: config.stacksets.autoDeploy,
                RetainStacksOnAccountRemoval: config.stacksets.retainStacksOnAccountRemoval,
              },
              ManagedExecution: { Active: config.stacksets.managedExecution },
              DeploymentTargets: c.canary
                ? targetsFor(ou, ids(holders))
                : { OrganizationalUnitIds: ou.ous, AccountFilterType: 'NONE' },
              Regions: plan.regions,
            }),
          )
        ).OperationId,
    },
  ];
}

/** New instances, one operation per set of missing regions (and CreateTrail override, when the home region is one). */
function addInstanceSteps(c: StepContext, accounts: AccountPlan[]): Step[] {
  const { plan, ou, op } = c.input;
  const creating = accounts.filter((p) => p.missingRegions.length > 0);
  const steps: Step[] = [];
  for (const [key, group] of groupBy(
    creating,
    (p) =>
      `${p.missingRegions.join(',')}|${p.missingRegions.includes(c.home) ? (overrideChange(p, plan.defaultCreateTrail) ?? '') : ''}`,
  )) {
    const [regionList, override] = key.split('|');
    const regions = regionList!.split(',');
    steps.push({
      what: `${c.label}add instances for ${group.length} account(s) × ${regions.length} region(s)${override ? ` with CreateTrail=${override}` : ''}`,
      kind: 'create',
      send: async () =>
        (
          await op.cfn.send(
            new CreateStackInstancesCommand({
              StackSetName: c.name,
              CallAs: c.CallAs,
              Regions: regions,
              DeploymentTargets: targetsFor(ou, ids(group)),
              OperationPreferences: c.prefs(regions),
              ...(override ? { ParameterOverrides: [{ ParameterKey: 'CreateTrail', ParameterValue: override }] } : {}),
            }),
          )
        ).OperationId,
    });
  }
  return steps;
}

/** Instances behind the stack set's template, one operation per set of outdated regions. */
function outdatedSteps(c: StepContext, accounts: AccountPlan[]): Step[] {
  const { ou, op } = c.input;
  const stale = accounts.filter((p) => p.outdated.length > 0);
  const steps: Step[] = [];
  for (const [regionList, group] of groupBy(stale, (p) => p.outdated.map((o) => o.region).join(','))) {
    const regions = regionList.split(',');
    steps.push({
      what: `${c.label}bring ${group.length} account(s)' outdated instances current`,
      kind: 'update',
      send: async () =>
        (
          await op.cfn.send(
            new UpdateStackInstancesCommand({
              StackSetName: c.name,
              CallAs: c.CallAs,
              Regions: regions,
              DeploymentTargets: targetsFor(ou, ids(group)),
              OperationPreferences: c.prefs(regions),
            }),
          )
        ).OperationId,
    });
  }
  return steps;
}

/** CreateTrail overrides on existing home-region instances, one operation per value. */
function overrideSteps(c: StepContext, accounts: AccountPlan[]): Step[] {
  const { plan, ou, op } = c.input;
  const overriding = accounts.filter(
    (p) => !p.missingRegions.includes(c.home) && overrideChange(p, plan.defaultCreateTrail) !== undefined,
  );
  const steps: Step[] = [];
  for (const [value, group] of groupBy(overriding, (p) => overrideChange(p, plan.defaultCreateTrail)!)) {
    steps.push({
      what: `${c.label}override CreateTrail=${value} for ${group.length} account(s)`,
      kind: 'update',
      send: async () =>
        (
          await op.cfn.send(
            new UpdateStackInstancesCommand({
              StackSetName: c.name,
              CallAs: c.CallAs,
              Regions: [c.home],
              DeploymentTargets: targetsFor(ou, ids(group)),
              OperationPreferences: c.prefs([c.home]),
              ParameterOverrides: [{ ParameterKey: 'CreateTrail', ParameterValue: value }],
            }),
          )
        ).OperationId,
    });
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
