// A status row and its judgement, shared by both engines. Each row is judged exactly once, when everything its
// verdict depends on is known, and only then reported: so the live progress line and the final table say the same.
//
// What a verdict depends on beyond the row itself:
//   - the code reference (code-reference.ts): the local bundle's hash, once any function at the current template
//     version has it; otherwise the agreement of the functions at each version, known only when every row is in.
//     Rows whose code verdict the reference cannot change are judged at once; the others wait for it. Against AWS
//     the first current function settles the reference, so rows are reported live; against an endpoint that
//     archives code differently, the rows with code wait until the end.
//   - the SCP survey (one per run, started with discovery): awaited before the first row is judged.
import type { GuardrailConfig } from '../config/index.js';
import type { Place, TargetOutcome } from '../fleet/events.js';
import type { Protection } from '../protection/survey.js';
import type { ProtectionCounts, ProtectionVerdicts } from '../protection/verdicts.js';
import type { DriftedResource, DriftState } from '../stack/inspect-stack.js';
import { isDeploySuccess } from '../stack/stack-status.js';
import { codeReferences, type CodeReferences } from './code-reference.js';
import type { SharedPrefixList } from '../stack/shared-prefix-lists.js';

export interface StatusRow extends Place {
  stackName: string;
  deployed: boolean;
  stackStatus: string | null;
  version: 'current' | 'outdated' | 'missing';
  /**
   * whether the stack was deployed with the settings of this run's configuration (its settings digest tag against the
   * local one): `differs` explains an outdated version by another configuration, not by older code or template;
   * `unknown` when the stack carries no digest (deployed before guardrail recorded it); null when not deployed
   */
  configuration?: 'same' | 'differs' | 'unknown' | null;
  /** the stack's settings digest tag, when it has one */
  settingsDigest?: string | null;
  /**
   * removed by guardrail (`guardrail remove` left its marker on the account in Organizations, and the stack is gone):
   * the marker's time. A removed row is not unhealthy.
   */
  removed?: string;
  /** marked removed, but a stack of this name was deleted after the marker: someone deleted a later deployment */
  deletedAfterRemoval?: string;
  code: 'current' | 'outdated' | 'unknown';
  rule: 'ENABLED' | 'DISABLED' | 'missing' | 'unknown';
  /**
   * Events the function could not undo, waiting in the stack's dead-letter queue (visible and in flight); null when
   * not deployed, or when the queue could not be read (then `pendingRevertsError` says why, and the row is unhealthy)
   */
  pendingReverts: number | null;
  pendingRevertsError?: string;
  drift: DriftState;
  driftedResources: DriftedResource[];
  notCheckedResources: string[];
  healthy: boolean;
  /** does the current guardrail SCP apply to the account */
  protection?: Protection;
  /** the stack's termination protection (null when not deployed) */
  terminationProtection?: boolean | null;
  /** why it is unhealthy, one phrase per finding */
  problems: string[];
  error: string | null;
  durationMs: number;
  /** approvals.enabled: active approvals for this target (null when approvals are off) */
  approvals?: number | null;
  /** approved rules still present after their approval lapsed, or with a forged approval tag */
  lapsedApprovedRules?: number | null;
  approvalsError?: string;
  /**
   * prefix lists owned by other accounts (shared through AWS RAM) that the target's rules reference: they change in
   * their owners' accounts, where guardrail here sees no event. Information, not a finding (shared-prefix-lists.ts).
   * null when not deployed, not looked for (--no-drift), or when they could not be read (then `sharedPrefixListsError`
   * says why)
   */
  sharedPrefixLists?: SharedPrefixList[] | null;
  sharedPrefixListsError?: string;
  /** stacksets: the instance's status and detailed status in the stack set */
  instanceStatus?: string | null;
  detailedStatus?: string | null;
  /** stacksets: what the stack set says is wrong with the instance ("instance OUTDATED: …", "no stack instance") */
  instanceProblem?: string | null;
  /** why the function's code, the rule or the drift could not be read, when it could not */
  codeError?: string;
  ruleError?: string;
  driftReason?: string;
  /** internal: the deployed function's code hash */
  codeSha256?: string | null;
  /** internal: the stack's template version tag */
  templateVersion?: string | null;
}

export interface StatusSummary extends ProtectionCounts {
  targets: number;
  healthy: number;
  unhealthy: number;
  drifted: number;
  /** older code or template than this run would deploy (not counting configurationDiffers) */
  outdated: number;
  /** deployed with other settings than this run's configuration (status run with another accounts.yaml) */
  configurationDiffers: number;
  /** removed by guardrail remove: neither healthy nor unhealthy */
  removed: number;
  missing: number;
  failed: number;
  /** targets with events waiting in their dead-letter queue, and those events in total */
  targetsWithPendingReverts: number;
  pendingReverts: number;
  /** targets whose rules reference prefix lists owned by other accounts, and how many such lists there are */
  targetsWithSharedPrefixLists: number;
  sharedPrefixLists: number;
  excludedAccounts: number;
}

/** A row before inspection: nothing known yet (the approval counts start at 0 when approvals are on). */
export function baseRow(t: Place, stackName: string, approvals: boolean): StatusRow {
  return {
    account: t.account,
    accountName: t.accountName,
    region: t.region,
    stackName,
    deployed: false,
    stackStatus: null,
    version: 'missing',
    code: 'unknown',
    rule: 'unknown',
    pendingReverts: null,
    drift: 'NOT_CHECKED',
    driftedResources: [],
    notCheckedResources: [],
    healthy: false,
    problems: [],
    error: null,
    durationMs: 0,
    approvals: approvals ? 0 : null,
    lapsedApprovedRules: approvals ? 0 : null,
    sharedPrefixLists: null,
  };
}

export function statusOutcome(r: StatusRow): TargetOutcome {
  return {
    account: r.account,
    accountName: r.accountName,
    region: r.region,
    code: r.healthy ? 'healthy' : 'unhealthy',
    level: r.healthy ? 'info' : 'error',
    stackStatus: r.stackStatus,
    message: r.problems.join('; ') || null,
    durationMs: r.durationMs,
  };
}

export interface JudgeSettings {
  /** the template version deploy would send, and the local bundle's code hash */
  version: string;
  localSha: string;
  /** the local configuration's settings digest */
  settingsDigest?: string;
  driftChecked: boolean;
  protection: GuardrailConfig['protection'];
  /** --require-protection */
  requireProtection?: boolean;
}

/**
 * Judges rows once, in the order they arrive, and hands each to `report` when judged. `finish` judges the rows
 * still waiting for the code reference and says which reference was used.
 */
export class StatusJudge {
  private reference: CodeReferences | null = null;
  private readonly waiting: { row: StatusRow; report: (row: StatusRow) => void }[] = [];
  private readonly seen: StatusRow[] = [];

  constructor(
    private readonly s: JudgeSettings,
    private readonly verdicts: Promise<ProtectionVerdicts>,
  ) {}

  /**
   * Judges the row now when its verdict is settled, or keeps it until the code reference is; `report` gets it judged.
   */
  async add(row: StatusRow, report: (row: StatusRow) => void): Promise<void> {
    const verdicts = await this.verdicts;
    this.seen.push(row);
    if (
      !this.reference &&
      row.deployed &&
      row.codeSha256 &&
      row.templateVersion === this.s.version &&
      row.codeSha256 === this.s.localSha
    ) {
      // a current function with the local bundle's hash: the endpoint archives as we do, so the local hash is the
      // reference
      this.reference = codeReferences([row], this.s.version, this.s.localSha);
      for (const w of this.waiting.splice(0)) this.settle(w.row, w.report, verdicts);
    }
    if (this.reference || !row.deployed || !row.codeSha256) this.settle(row, report, verdicts);
    else this.waiting.push({ row, report });
  }

  /** Judges what is still waiting, with the reference every row agrees on. */
  async finish(): Promise<CodeReferences> {
    const verdicts = await this.verdicts;
    this.reference ??= codeReferences(this.seen, this.s.version, this.s.localSha);
    for (const w of this.waiting.splice(0)) this.settle(w.row, w.report, verdicts);
    return this.reference;
  }

  private settle(r: StatusRow, report: (row: StatusRow) => void, verdicts: ProtectionVerdicts): void {
    const reference = this.reference ?? codeReferences([], this.s.version, this.s.localSha);
    if (r.deployed && r.codeSha256)
      r.code = r.codeSha256 === reference.expectedFor(r.templateVersion) ? 'current' : 'outdated';
    r.configuration = !r.deployed
      ? null
      : !r.settingsDigest || !this.s.settingsDigest
        ? 'unknown'
        : r.settingsDigest === this.s.settingsDigest
          ? 'same'
          : 'differs';
    r.protection = verdicts.byAccount.get(r.account) ?? 'unknown';
    r.problems = findings(r, this.s, verdicts.error);
    r.healthy = r.problems.length === 0;
    report(r);
  }
}

/**
 * What is wrong with a row: empty when healthy (deployed, current, rule enabled, nothing left undone, in sync,
 * protected as required). A dead-letter queue that could not be read is a finding too: a security tool that cannot
 * tell whether its reverts failed must not call the target healthy (as with code or a rule it could not read).
 */
export function findings(
  r: StatusRow,
  s: Pick<JudgeSettings, 'driftChecked' | 'protection' | 'requireProtection'>,
  surveyError: string | null = null,
): string[] {
  if (r.removed && !r.error) return [];
  if (r.deletedAfterRemoval) {
    return [
      `stack deleted at ${r.deletedAfterRemoval}, after guardrail removed it: deleted by someone else (deploy to restore it)`,
    ];
  }
  if (r.instanceProblem === 'no stack instance') return ['no stack instance'];
  const p: string[] = [];
  if (r.error) p.push(`could not inspect: ${r.error}`);
  else if (!r.deployed) p.push('not deployed');
  else {
    if (!isDeploySuccess(r.stackStatus ?? undefined)) p.push(`stack is ${r.stackStatus}`);
    if (r.version === 'outdated' && r.configuration === 'differs')
      p.push(`configuration differs (deployed digest ${r.settingsDigest})`);
    else if (r.version === 'outdated') p.push('template version outdated');
    if (r.code === 'outdated') p.push('function code differs from the bundle');
    if (r.code === 'unknown') p.push('function code could not be read');
    if (r.rule !== 'ENABLED') p.push(`rule ${r.rule}`);
    if (r.pendingReverts) p.push(`${r.pendingReverts} event(s) not undone in the dead-letter queue (guardrail retry)`);
    else if (r.pendingReverts === null)
      p.push(`dead-letter queue could not be read (${r.pendingRevertsError ?? 'no reason given'})`);
    if (r.drift === 'DRIFTED') {
      for (const d of r.driftedResources) {
        const diffs = d.differences.map((x) => x.path).join(', ');
        p.push(`${d.logicalId} ${d.status}${diffs ? ` (${diffs})` : ''}`);
      }
    }
    if (s.driftChecked && r.drift === 'UNKNOWN') p.push('drift unknown');
    if (r.lapsedApprovedRules)
      p.push(`${r.lapsedApprovedRules} approved rule(s) outlived their approval (the sweep is late or broken)`);
    if (r.approvalsError) p.push(`approvals: ${r.approvalsError}`);
  }
  const required = s.requireProtection ?? s.protection.required;
  const pr = r.protection;
  if (required && pr && pr !== 'protected' && pr !== 'not-applicable') {
    p.push(
      pr === 'unknown'
        ? `protection unknown (${surveyError ?? 'not surveyed'})`
        : pr === 'outdated'
          ? 'guardrail SCP outdated (run guardrail protect --attach)'
          : 'no guardrail SCP applies (run guardrail protect --attach)',
    );
  }
  if (s.protection.terminationProtection && r.deployed && r.terminationProtection === false) {
    p.push('termination protection is off (guardrail deploy turns it back on)');
  }
  if (r.instanceProblem) p.push(r.instanceProblem);
  return p;
}

/** The summary's counts; protection counts accounts, not targets. */
export function summariseStatus(rows: readonly StatusRow[], excludedAccounts: number): StatusSummary {
  const count = (f: (r: StatusRow) => boolean) => rows.filter(f).length;
  const byAccount = new Map(rows.map((r) => [r.account, r.protection]));
  const accounts = (p: Protection) => [...byAccount.values()].filter((x) => x === p).length;
  return {
    targets: rows.length,
    healthy: count((r) => r.healthy && !r.removed),
    unhealthy: count((r) => !r.healthy),
    drifted: count((r) => r.drift === 'DRIFTED'),
    outdated: count((r) => r.code === 'outdated' || (r.version === 'outdated' && r.configuration !== 'differs')),
    configurationDiffers: count((r) => r.version === 'outdated' && r.configuration === 'differs'),
    removed: count((r) => r.removed !== undefined),
    missing: count((r) => r.version === 'missing' && !r.error && !r.removed),
    failed: count((r) => r.error !== null),
    targetsWithPendingReverts: count((r) => (r.pendingReverts ?? 0) > 0),
    pendingReverts: rows.reduce((n, r) => n + (r.pendingReverts ?? 0), 0),
    targetsWithSharedPrefixLists: count((r) => (r.sharedPrefixLists?.length ?? 0) > 0),
    sharedPrefixLists: new Set(rows.flatMap((r) => (r.sharedPrefixLists ?? []).map((l) => l.id))).size,
    excludedAccounts,
    protected: accounts('protected'),
    protectionOutdated: accounts('outdated'),
    unprotected: accounts('unprotected'),
  };
}
