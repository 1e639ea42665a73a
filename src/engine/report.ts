// The report's data: status (health of every target) and activity (the decision logs of the window), gathered through
// the same session, pool and roles, plus what an auditor needs to trust the page: when, by whom, which version and
// which configuration.
import { createHash } from 'node:crypto';
import type { GuardrailConfig } from '../config/index.js';
import { packageVersion } from '../version.js';
import { activity, type ActivityEvent, type ActivityReport } from './activity.js';
import type { ActivityQuery } from './activity-query.js';
import type { Session } from './session.js';
import { status, type StatusEvent, type StatusReport, type StatusRow } from './status.js';

/** A status row as `status --output json` writes it; fields other work adds (protection, approvals) come along. */
export type ReportStatusRow = Omit<StatusRow, 'codeSha256'> & { protection?: string; approvals?: number } & Record<string, unknown>;

export interface ReportData {
  generatedAt: string;
  version: string;
  /** sha256 of the effective configuration */
  configDigest: string;
  caller: { account: string; arn: string };
  status: Omit<StatusReport, 'targets'> & { targets: ReportStatusRow[] };
  activity: ActivityReport;
}

export interface ReportInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  drift: boolean;
  query: ActivityQuery;
  signal: AbortSignal;
  emit(event: StatusEvent | ActivityEvent): void;
}

export function configDigest(config: GuardrailConfig): string {
  const canonical = (v: unknown): unknown => (Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v);
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex')}`;
}

export async function gatherReport(input: ReportInput): Promise<ReportData> {
  const { session, config, selectedAccounts, signal, emit } = input;
  const health = await status({ session, config, selectedAccounts, drift: input.drift, signal, emit });
  const log = await activity({ session, config, selectedAccounts, query: input.query, signal, emit });
  return {
    generatedAt: new Date().toISOString(),
    version: packageVersion(),
    configDigest: configDigest(config),
    caller: { account: session.identity.account, arn: session.identity.arn },
    status: { ...health, targets: health.targets.map(({ codeSha256: _sha, ...row }) => row as ReportStatusRow) },
    activity: log,
  };
}
