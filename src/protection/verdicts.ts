// status's protection column: one survey of the organisation's SCPs per run (protection/survey.ts), started alongside
// the stack inspections, then one verdict per row. An unprotected account is unhealthy only when protection is
// required (--require-protection or protection.required).
import type { GuardrailConfig } from '../config/index.js';
import { surveyProtection, type Protection } from './survey.js';
import { renderScp } from './scp-render.js';
import { describeError } from '../aws/describe-error.js';
import type { Session } from '../fleet/session.js';

export interface ProtectionVerdicts {
  byAccount: Map<string, Protection>;
  /** why it could not be surveyed (no Organizations access): every row is `unknown` */
  error: string | null;
}

export async function protectionVerdicts(
  session: Session,
  config: GuardrailConfig,
  accounts: string[],
): Promise<ProtectionVerdicts> {
  try {
    const survey = await surveyProtection(session.organizations(), accounts, renderScp(config).content);
    return { byAccount: survey.byAccount, error: null };
  } catch (err) {
    return { byAccount: new Map(), error: describeError(err) };
  }
}

export interface ProtectionRow {
  account: string;
  protection?: Protection;
  healthy: boolean;
  problems: string[];
}

export interface ProtectionCounts {
  protected: number;
  protectionOutdated: number;
  unprotected: number;
}

/** Sets each row's `protection`, adds the finding to unhealthy rows when required, and counts accounts. */
export function applyProtection(rows: ProtectionRow[], v: ProtectionVerdicts, required: boolean): ProtectionCounts {
  const counted = new Map<string, Protection>();
  for (const r of rows) {
    const p = v.byAccount.get(r.account) ?? 'unknown';
    r.protection = p;
    counted.set(r.account, p);
    if (!required || p === 'protected' || p === 'not-applicable') continue;
    r.problems.push(
      p === 'unknown'
        ? `protection unknown (${v.error ?? 'not surveyed'})`
        : p === 'outdated'
          ? 'guardrail SCP outdated (run guardrail protect --attach)'
          : 'no guardrail SCP applies (run guardrail protect --attach)',
    );
    r.healthy = false;
  }
  const count = (p: Protection) => [...counted.values()].filter((x) => x === p).length;
  return { protected: count('protected'), protectionOutdated: count('outdated'), unprotected: count('unprotected') };
}

/** A deployed stack whose termination protection someone turned off (when the configuration wants it on). */
export function judgeTerminationProtection(
  rows: (ProtectionRow & { deployed: boolean; terminationProtection?: boolean | null })[],
  expected: boolean,
): void {
  if (!expected) return;
  for (const r of rows) {
    if (r.deployed && r.terminationProtection === false) {
      r.problems.push('termination protection is off (guardrail deploy turns it back on)');
      r.healthy = false;
    }
  }
}

/** Both findings for status: the SCP column (and its problem when required), and termination protection. */
export function judgeProtection(
  rows: (ProtectionRow & { deployed: boolean; terminationProtection?: boolean | null })[],
  v: ProtectionVerdicts,
  settings: GuardrailConfig['protection'],
  requireFlag?: boolean,
): ProtectionCounts {
  const counts = applyProtection(rows, v, requireFlag ?? settings.required);
  judgeTerminationProtection(rows, settings.terminationProtection);
  return counts;
}
