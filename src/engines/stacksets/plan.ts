// The stacksets engine's plan: from DescribeStackSet, ListStackInstances and the rendered template, what will
// happen to the stack set and to every account × region, with a reason each. Read-only.
import {
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  DescribeStacksCommand,
  paginateListStackInstances,
  type CloudFormationClient,
  type StackInstanceSummary,
  type StackSet,
} from '@aws-sdk/client-cloudformation';
import { DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import type { GuardrailConfig } from '../../config/index.js';
import type { RenderedTemplate } from '../../stack/template.js';
import { VERSION_TAG } from '../../stack/template.js';
import { isStackMissing } from '../../stack/cfn-errors.js';
import { decideTrail, firstLogging } from '../../stack/trail.js';
import { describeError } from '../../aws/describe-error.js';
import { runPool } from '../../fleet/pool.js';
import type { Session } from '../../fleet/session.js';
import type { TargetAccount, TargetSet } from '../../fleet/targets.js';
import type { OuTargets } from './org-targets.js';

export interface AccountPlan {
  account: TargetAccount;
  ouId: string;
  /** CreateTrail this account's home-region instance should get, and why */
  createTrail: boolean;
  trailReason: string;
  /** the override it has now (null: none, undefined: no instance yet or not read) */
  currentOverride?: string | null;
  missingRegions: string[];
  /** instances that are not CURRENT, with why */
  outdated: { region: string; reason: string }[];
  /** regions where a direct stack (config.stackName) still stands: replaced new before old */
  directStacks: string[];
  failure?: string;
}

export interface StackSetPlan {
  adminRegion: string;
  regions: string[];
  exists: boolean;
  setAction: 'create' | 'update' | 'none';
  setReason: string;
  currentVersion: string | null;
  defaultCreateTrail: boolean;
  defaultTrailReason: string;
  accounts: AccountPlan[];
  instances: Map<string, StackInstanceSummary>;
}

export const keyOf = (account: string, region: string) => `${account}|${region}`;

export async function describeStackSet(
  cfn: CloudFormationClient,
  name: string,
  callAs: 'SELF' | 'DELEGATED_ADMIN',
): Promise<StackSet | undefined> {
  try {
    const out = await cfn.send(new DescribeStackSetCommand({ StackSetName: name, CallAs: callAs }));
    return out.StackSet?.Status === 'DELETED' ? undefined : out.StackSet;
  } catch (err) {
    if ((err as Error).name === 'StackSetNotFoundException') return undefined;
    throw err;
  }
}

export async function listInstances(
  cfn: CloudFormationClient,
  name: string,
  callAs: 'SELF' | 'DELEGATED_ADMIN',
): Promise<Map<string, StackInstanceSummary>> {
  const out = new Map<string, StackInstanceSummary>();
  for await (const page of paginateListStackInstances({ client: cfn }, { StackSetName: name, CallAs: callAs })) {
    for (const i of page.Summaries ?? []) out.set(keyOf(i.Account ?? '', i.Region ?? ''), i);
  }
  return out;
}

/** The stack set's default CreateTrail: what auto-deployed accounts get. An organisation trail makes it false. */
async function defaultTrail(
  session: Session,
  config: GuardrailConfig,
  role: TargetAccount['role'],
): Promise<{ create: boolean; reason: string }> {
  const mode = config.trail.mode;
  if (mode === 'create') return { create: true, reason: 'trail.mode is create' };
  if (mode === 'existing') return { create: false, reason: 'trail.mode is existing' };
  const ct = await session.clients(session.identity.account, config.trail.homeRegion, role).cloudtrail();
  const trails = (await ct.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList ?? [];
  const t = await firstLogging(
    ct,
    trails.filter((x) => x.IsOrganizationTrail && x.IsMultiRegionTrail),
  );
  if (t)
    return { create: false, reason: `auto: organisation trail ${t.Name} is logging, so new accounts need no trail` };
  return { create: true, reason: "auto: no organisation trail, so new accounts get guardrail's trail" };
}

function setChange(
  set: StackSet | undefined,
  rendered: RenderedTemplate,
  createTrail: boolean,
): { action: StackSetPlan['setAction']; reason: string; version: string | null } {
  if (!set) return { action: 'create', reason: 'stack set missing', version: null };
  const version = set.Tags?.find((t) => t.Key === VERSION_TAG)?.Value ?? null;
  if (version !== rendered.version) {
    return {
      action: 'update',
      reason: version
        ? `template version changed ${version} → ${rendered.version}`
        : `stack set has no ${VERSION_TAG} tag`,
      version,
    };
  }
  const current = set.Parameters?.find((p) => p.ParameterKey === 'CreateTrail')?.ParameterValue;
  if (current !== String(createTrail))
    return { action: 'update', reason: `default CreateTrail ${current ?? 'unset'} → ${createTrail}`, version };
  const auto = set.AutoDeployment?.Enabled === true;
  return { action: 'none', reason: `stack set current (${version}${auto ? ', auto-deployment on' : ''})`, version };
}

export interface PlanInput {
  session: Session;
  config: GuardrailConfig;
  admin: CloudFormationClient;
  rendered: RenderedTemplate;
  accounts: TargetAccount[];
  ou: OuTargets;
  signal: AbortSignal;
}

export async function planStackSet(input: PlanInput): Promise<StackSetPlan> {
  const { session, config, admin, rendered } = input;
  const callAs = config.stacksets.callAs;
  const regions = config.regions as string[];
  const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
  const [set, def] = await Promise.all([
    describeStackSet(admin, config.stackName, callAs),
    defaultTrail(session, config, role),
  ]);
  const change = setChange(set, rendered, def.create);
  const instances = set
    ? await listInstances(admin, config.stackName, callAs)
    : new Map<string, StackInstanceSummary>();
  const plans = await runPool(input.accounts, (a) => planAccount(input, a, instances, def.create, regions), {
    concurrency: config.deploy.concurrency,
    failureTolerance: null,
    signal: input.signal,
    isFailure: () => false,
  });
  const accounts = plans.outcomes.flatMap((o, i) =>
    o.kind === 'ran'
      ? [o.result]
      : [
          {
            account: input.accounts[i]!,
            ouId: '',
            createTrail: def.create,
            trailReason: '',
            missingRegions: [],
            outdated: [],
            directStacks: [],
            failure: o.reason,
          },
        ],
  );
  return {
    adminRegion: config.trail.homeRegion,
    regions,
    exists: set !== undefined,
    setAction: change.action,
    setReason: change.reason,
    currentVersion: change.version,
    defaultCreateTrail: def.create,
    defaultTrailReason: def.reason,
    accounts,
    instances,
  };
}

async function planAccount(
  input: PlanInput,
  a: TargetAccount,
  instances: Map<string, StackInstanceSummary>,
  defaultCreate: boolean,
  regions: string[],
): Promise<AccountPlan> {
  const { session, config } = input;
  const home = config.trail.homeRegion;
  const plan: AccountPlan = {
    account: a,
    ouId: input.ou.ouOf.get(a.id) ?? '',
    createTrail: defaultCreate,
    trailReason: '',
    missingRegions: [],
    outdated: [],
    directStacks: [],
  };
  try {
    await session.broker.check(a.id, a.role);
    const decision = await decideTrail(
      config.trail.mode,
      () => session.clients(a.id, home, a.role).cloudtrail(),
      config.stackName,
    );
    plan.createTrail = decision.createTrail;
    plan.trailReason = decision.reason;
    for (const region of regions) {
      const inst = instances.get(keyOf(a.id, region));
      if (!inst) plan.missingRegions.push(region);
      else if (inst.Status !== 'CURRENT')
        plan.outdated.push({
          region,
          reason: `instance ${inst.Status}${inst.StatusReason ? `: ${inst.StatusReason}` : ''}`,
        });
      if (await directStackExists(session.clients(a.id, region, a.role).cloudformation, config.stackName))
        plan.directStacks.push(region);
      session.release(a.id, region, a.role);
    }
    if (instances.has(keyOf(a.id, home)) && config.trail.mode === 'auto') {
      const out = await input.admin.send(
        new DescribeStackInstanceCommand({
          StackSetName: config.stackName,
          StackInstanceAccount: a.id,
          StackInstanceRegion: home,
          CallAs: config.stacksets.callAs,
        }),
      );
      plan.currentOverride =
        out.StackInstance?.ParameterOverrides?.find((p) => p.ParameterKey === 'CreateTrail')?.ParameterValue ?? null;
    }
  } catch (err) {
    plan.failure = describeError(err);
  }
  return plan;
}

async function directStackExists(cfn: CloudFormationClient, name: string): Promise<boolean> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    return (out.Stacks ?? []).some((s) => s.StackStatus !== 'DELETE_COMPLETE');
  } catch (err) {
    if (isStackMissing(err)) return false;
    throw err;
  }
}

/** The CreateTrail override the account's home-region instance needs now, or undefined when it is right. */
export function overrideChange(p: AccountPlan, defaultCreate: boolean): string | undefined {
  const want = String(p.createTrail);
  const have = p.currentOverride ?? String(defaultCreate);
  if (p.currentOverride === undefined) return p.createTrail === defaultCreate ? undefined : want;
  return have === want ? undefined : want;
}

export type { TargetSet };
