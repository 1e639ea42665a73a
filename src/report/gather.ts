// The report's data: status (health of every target) and activity (the decision logs of the window), gathered through
// the same session, pool and roles, plus what an auditor needs to trust the page: when, by whom, which version and
// which configuration.
import { createHash } from 'node:crypto';
import type { GuardrailConfig } from '../config/index.js';
import { accountOuPaths, type OuPlace } from '../org/ou-paths.js';
import { packageVersion } from '../version.js';
import { activity, type ActivityReport } from '../activity/read.js';
import type { ActivityQuery } from '../activity/query.js';
import { describeError } from '../aws/describe-error.js';
import type { Session } from '../fleet/session.js';
import { engineFor, type StatusReport } from '../engines/index.js';
import type { StatusRow } from '../engines/status-row.js';
import type { Emit } from '../fleet/events.js';

/** A status row as `status --output json` writes it. */
export type ReportStatusRow = Omit<StatusRow, 'codeSha256'>;

/** From this many accounts on, the matrix draws only unhealthy accounts and groups the healthy ones by OU. */
export const COLLAPSE_AT = 500;

/** Each account's OU, read only when the matrix collapses; `error` says why it could not be read. */
export interface ReportOus {
  byAccount: Map<string, OuPlace> | null;
  error: string | null;
}

export interface ReportData {
  generatedAt: string;
  version: string;
  /** sha256 of the effective configuration */
  configDigest: string;
  caller: { account: string; arn: string };
  status: Omit<StatusReport, 'targets'> & { targets: ReportStatusRow[] };
  activity: ActivityReport;
  /** present when the matrix collapses (COLLAPSE_AT accounts and more) */
  ous?: ReportOus;
}

export interface ReportInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  drift: boolean;
  query: ActivityQuery;
  signal: AbortSignal;
  emit: Emit;
}

export function configDigest(config: GuardrailConfig): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(canonical(config)))
    .digest('hex')}`;
}

export async function gatherReport(input: ReportInput): Promise<ReportData> {
  const { session, config, selectedAccounts, signal, emit } = input;
  const health = await engineFor(config).status({
    session,
    config,
    selectedAccounts,
    drift: input.drift,
    signal,
    emit,
  });
  const collapse = new Set(health.targets.map((r) => r.account)).size >= COLLAPSE_AT;
  const [log, ous] = await Promise.all([
    activity({ session, config, selectedAccounts, query: input.query, signal, emit }),
    collapse ? readOus(session, config) : Promise.resolve(undefined),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    version: packageVersion(),
    configDigest: configDigest(config),
    caller: { account: session.identity.account, arn: session.identity.arn },
    status: { ...health, targets: health.targets.map(({ codeSha256: _sha, ...row }): ReportStatusRow => row) },
    activity: log,
    ...(ous ? { ous } : {}),
  };
}

/**
 * The report's OU map: one walk of the OU tree; with an `accounts:` list, or without Organizations access, the reason
 * instead.
 */
export async function readOus(session: Session, config: GuardrailConfig): Promise<ReportOus> {
  if (config.accounts.length > 0) {
    return {
      byAccount: null,
      error: 'the accounts come from the `accounts:` list of the configuration, not from Organizations',
    };
  }
  try {
    return { byAccount: await accountOuPaths(session.organizations()), error: null };
  } catch (err) {
    return { byAccount: null, error: `the organisation's OUs could not be read (${describeError(err)})` };
  }
}
