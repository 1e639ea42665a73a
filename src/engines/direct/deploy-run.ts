// One deploy run: its state (results so far, failures, why it stopped) and what it does to a single target — plan
// it, apply it, turn the outcome into a result row. engines/direct/deploy.ts arranges these steps into phases.
import { randomUUID } from 'node:crypto';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { PollTimer } from '../../aws/poll-timer.js';
import type { GuardrailConfig } from '../../config/index.js';
import { failureLimit } from '../../config/index.js';
import {
  applyStack,
  describeStack,
  planFromStack,
  previewUpdate,
  type DeployAction,
  type DeployOutcome,
  type DesiredStack,
  type StackContext,
  type StackPlan,
} from '../../stack/deploy-stack.js';
import { settingChanges } from '../../stack/setting-changes.js';
import type { RenderedTemplate } from '../../stack/template.js';
import { decideTrail, type TrailDecision } from '../../stack/trail.js';
import { describeError } from '../../aws/describe-error.js';
import { planApprovalStore, type StorePlan } from '../../approvals/store-stack.js';
import type { Emit } from '../../fleet/events.js';
import {
  blankResult,
  resultOutcome,
  summarise,
  type ContractAction,
  type Summary,
  type TargetResult,
} from '../../fleet/results.js';
import { Fleet } from '../../fleet/run.js';
import type { Session } from '../../fleet/session.js';
import { EarlyResults } from '../../fleet/warm-up.js';
import { targetKey, type Target } from '../../fleet/targets.js';

/** What the plan says will happen, for the confirmation: target counts per action, and the accounts to change. */
export interface PlanCounts {
  create: number;
  update: number;
  unchanged: number;
  /** targets whose plan failed (credentials, a denied call, an unreachable account) */
  cannotPlan: number;
  /** accounts with at least one target to create or update */
  accounts: number;
  /** approvals: the store's stack, when the apply would create or update it */
  store?: { stackName: string; account: string; region: string; action: 'create' | 'update' };
  /** the template buckets (stack/template-bucket.ts) the apply would create, by name */
  buckets?: string[];
}

export interface DeployInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  planOnly: boolean;
  signal: AbortSignal;
  emit: Emit;
  /** asked, with the plan's counts, before changing more than one account; false cancels the apply */
  confirm(plan: PlanCounts): Promise<boolean>;
  /**
   * --yes: nothing to confirm, so the rollout may start before every target is planned (stacksets: trusted access may
   * be activated)
   */
  yes: boolean;
  /**
   * changes outside this deploy that the same question covers, planned before it (StackSets: the stack set's
   * instances, when its direct part asks): added to the counts, so one question is asked before any write
   */
  alsoPlanned?: PlanCounts;
}

export type StopReason = 'tolerance' | 'signal' | 'canary' | 'declined' | 'store' | null;

export interface DeployReport {
  engine: GuardrailConfig['deploy']['engine'];
  version: string;
  templateBytes: number;
  targets: TargetResult[];
  excluded: { account: string; name: string; reason: string }[];
  summary: Summary;
  stoppedBy: StopReason;
  /**
   * the approval store's stack (approvals, rule records: storeNeeded), planned with the targets and applied after the
   * confirmation, before any target
   */
  approvalStore: TargetResult | null;
  /** what the engine has to say beyond the rows (a stack set's plan, an engine switch) */
  notes: string[];
  /** the stack set operations of the run (none for the direct engine) */
  operations: { what: string; status: string; operationId: string }[];
  /** --plan: the template buckets the apply would create, each named once in the notes */
  templateBuckets?: string[];
}

/** A target after planning: its plan and desired stack, or the failure that stopped planning it. */
export interface Planned {
  target: Target;
  plan?: StackPlan;
  desired?: DesiredStack;
  trail?: TrailDecision;
  /** set when planning failed */
  failure?: TargetResult;
  startedAt: number;
}

export const contractAction = (a: DeployAction): ContractAction =>
  a === 'delete-and-recreate' ? 'create' : a === 'wait' ? 'update' : a;

export const isPlanned = (item: Planned | Target): item is Planned => 'target' in item;

export class DeployRun {
  failures = 0;
  /** what the run has to say beyond the rows (--plan: the template buckets it would create) */
  readonly notes: string[] = [];
  /** --plan: the template buckets the apply would create */
  readonly templateBuckets: string[] = [];
  stoppedBy: StopReason = null;
  approvalStore: TargetResult | null = null;
  private storePlan: StorePlan | null = null;
  /** failed targets tolerated before the run stops (null: no limit) */
  tolerance: number | null = null;
  /** every target, once discovery is done (`begin`) */
  targets: Target[] = [];
  readonly stackName: string;
  readonly homeRegion: string;
  readonly fleet: Fleet<TargetResult>;
  private readonly timer: PollTimer;
  private readonly runId = randomUUID();
  private readonly trailDecisions = new Map<string, Promise<TrailDecision>>();
  /** plans started while the organisation was still being listed (`warm`), until `plan` takes them */
  private readonly early = new EarlyResults<Target, Planned>(targetKey, (t) => this.planNow(t));

  constructor(
    readonly input: DeployInput,
    private readonly rendered: RenderedTemplate,
  ) {
    const { config } = input;
    this.stackName = config.stackName;
    this.fleet = new Fleet<TargetResult>(input, {
      blank: (p, why) => blankResult(p, this.stackName, why),
      outcome: resultOutcome,
    });
    this.homeRegion = config.trail.homeRegion;
    this.timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  }

  /**
   * Discovery and targets (each account's targets are planned while the organisation is still being listed); the
   * accounts that could not be expanded into targets are reported, and count against the failure tolerance.
   */
  async open(): Promise<void> {
    const { config } = this.input;
    await this.fleet.open({ warm: (target) => this.early.start(target) });
    this.targets = this.fleet.targets;
    const unreachable = this.fleet.unreachable;
    this.tolerance =
      config.deploy.failureTolerance === null
        ? null
        : failureLimit(config.deploy.failureTolerance, this.targets.length + unreachable);
    this.failures = unreachable;
  }

  /** Plans one target (read-only calls), or takes its plan started early. Never throws: see `planNow`. */
  plan(target: Target): Promise<Planned> {
    return this.early.take(target);
  }

  /** Plans one target (read-only calls). Never throws: a failure is kept in `failure`, to be reported. */
  private async planNow(target: Target): Promise<Planned> {
    const p: Planned = { target, startedAt: Date.now() };
    try {
      await this.input.session.broker.check(target.account, target.role);
      const isHome = target.region === this.homeRegion;
      p.trail = isHome ? await this.trailFor(target) : undefined;
      p.desired = {
        stackName: this.stackName,
        body: this.rendered.body,
        version: this.rendered.version,
        settingsDigest: this.rendered.settingsDigest,
        parameters: { CreateTrail: isHome && p.trail?.createTrail ? 'true' : 'false' },
        terminationProtection: this.input.config.protection.terminationProtection,
        template: this.input.session.templates().source(target.region, this.rendered),
      };
      // read-only: whether the region's template bucket is there (named in the confirmation when it is not) and ours
      await this.input.session.templates().inspect(target.region);
      const stack = await this.describe(target);
      p.plan = planFromStack(stack, p.desired);
      // a settings change is said in the configuration's words ("policy.mode enforce → monitor")
      const settings = p.plan.action === 'update' ? settingChanges(stack, this.rendered.defaults) : [];
      if (settings.length > 0) p.plan.reason = `settings: ${settings.join(', ')}`;
      if (this.input.planOnly && p.plan.action === 'update')
        p.plan.changes = await previewUpdate(this.contextFor(target), p.desired);
    } catch (err) {
      p.failure = this.row(p, { result: 'failed', error: describeError(err) });
    }
    return p;
  }

  /** Applies one planned target's change set and reports the result. Never throws. */
  async apply(p: Planned): Promise<TargetResult> {
    this.input.session.offload.retire();
    this.fleet.started(p.target);
    p.startedAt = Date.now();
    let outcome: DeployOutcome;
    try {
      outcome = await applyStack(this.contextFor(p.target), p.desired!, p.plan!);
    } catch (err) {
      outcome = { kind: 'failed', stackStatus: p.plan!.stackStatus, reason: describeError(err) };
    }
    const r =
      outcome.kind === 'failed'
        ? this.row(p, {
            result: 'failed',
            stackStatus: outcome.stackStatus,
            error: outcome.reason,
            ...(outcome.firstFailure ? { firstFailure: outcome.firstFailure } : {}),
          })
        : this.row(p, {
            result: outcome.kind === 'deployed' ? 'succeeded' : 'unchanged',
            stackStatus: outcome.stackStatus,
          });
    this.report(r);
    return r;
  }

  /** Reports a planned target that needs no apply (failed to plan, planned only, or current); true if it did. */
  settleWithoutApply(p: Planned): boolean {
    if (p.failure) this.report(p.failure);
    else if (this.input.planOnly)
      this.report(this.row(p, { result: 'planned', ...(p.plan!.changes ? { changes: p.plan!.changes } : {}) }));
    else if (p.plan!.action === 'none') this.report(this.row(p, { result: 'unchanged' }));
    else return false;
    return true;
  }

  /** Reports targets that will not run as skipped, with the reason. */
  skip(items: (Planned | Target)[], reason: string): void {
    for (const item of items) {
      const p: Planned = isPlanned(item) ? item : { target: item, startedAt: Date.now() };
      this.report(this.row(p, { result: 'skipped', reason, durationMs: 0 }));
    }
  }

  /** A result row for a target, from its plan and the given fields. */
  row(p: Planned, fields: Partial<TargetResult> & Pick<TargetResult, 'result'>): TargetResult {
    return {
      account: p.target.account,
      accountName: p.target.accountName,
      region: p.target.region,
      stackName: this.stackName,
      action: p.plan ? contractAction(p.plan.action) : 'none',
      stackStatus: p.plan?.stackStatus ?? null,
      error: null,
      durationMs: Date.now() - p.startedAt,
      reason: p.plan?.reason ?? '',
      ...(p.trail && p.target.region === this.homeRegion ? { trail: p.trail.reason } : {}),
      ...fields,
    };
  }

  /**
   * approvals: the approval store's stack is planned with the targets (read-only, so it can be named in the
   * confirmation); false when it cannot be planned, and no target starts.
   */
  async planApprovalStore(): Promise<boolean> {
    const { session, config, signal } = this.input;
    this.storePlan = await planApprovalStore({ session, config, timer: this.timer, runId: this.runId, signal });
    this.approvalStore = this.storePlan?.planned ?? null;
    if (this.approvalStore?.result !== 'failed') return true;
    this.stoppedBy = 'store';
    this.skip(this.targets, 'not started: the approval store failed');
    return false;
  }

  /** What the confirmation names of the store: its stack, when the apply would create or update it. */
  get storeChange(): PlanCounts['store'] {
    return this.storePlan?.change;
  }

  /** The store's plan is not applied: its row says why. */
  skipApprovalStore(reason: string): void {
    if (this.approvalStore && this.approvalStore.result === 'planned')
      this.approvalStore = { ...this.approvalStore, result: 'skipped', reason };
  }

  /**
   * Applies the store's plan, after the confirmation and before any target (the functions read it); false when it
   * failed, and `pending` are skipped.
   */
  async applyApprovalStore(pending: (Planned | Target)[]): Promise<boolean> {
    if (!this.storePlan) return true;
    this.approvalStore = await this.storePlan.apply();
    if (this.approvalStore.result !== 'failed') return true;
    this.stoppedBy = 'store';
    this.skip(pending, 'not started: the approval store failed');
    return false;
  }

  report(r: TargetResult): void {
    this.fleet.report(r);
  }

  get results(): readonly TargetResult[] {
    return this.fleet.rows;
  }

  /** The summary: every result in a stable order, the counts, and why the run stopped early, if it did. */
  finish(): DeployReport {
    return {
      engine: 'direct',
      notes: [...this.notes],
      operations: [],
      templateBuckets: [...this.templateBuckets],
      version: this.rendered.version,
      templateBytes: this.rendered.bytes,
      targets: this.fleet.sorted(),
      excluded: this.fleet.set.excluded,
      summary: summarise([...this.fleet.rows], this.fleet.set.excluded.length),
      stoppedBy: this.stoppedBy,
      approvalStore: this.approvalStore,
    };
  }

  release(t: Target): void {
    this.input.session.release(t.account, t.region, t.role);
  }

  /** The target's stack (DescribeStacks), read in a worker thread when one is free (offload.ts). */
  private async describe(t: Target): Promise<Stack | undefined> {
    const { session } = this.input;
    const credentials = await session.plainCredentials(t.account, t.role);
    return session.offload.run(
      'describeStack',
      credentials && { region: t.region, credentials, stackName: this.stackName },
      () => describeStack(session.clients(t.account, t.region, t.role).cloudformation, this.stackName),
    );
  }

  private contextFor(t: Target): StackContext {
    return {
      cfn: this.input.session.clients(t.account, t.region, t.role).cloudformation,
      timer: this.timer,
      runId: this.runId,
    };
  }

  /** One trail decision per account (whether this stack creates the trail), shared by its home-region target. */
  private trailFor(t: Target): Promise<TrailDecision> {
    let p = this.trailDecisions.get(t.account);
    if (!p) {
      const { session, config } = this.input;
      p = decideTrail(
        config.trail.mode,
        () => session.clients(t.account, this.homeRegion, t.role).cloudtrail(),
        this.stackName,
      );
      this.trailDecisions.set(t.account, p);
    }
    return p;
  }
}
