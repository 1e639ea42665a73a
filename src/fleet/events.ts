// The one event a run reports through: every engine and every command's pipeline emits these, and one adapter
// (output/progress.ts) turns them into progress lines. A finished target carries its result word (`code`) and a
// level, so the reporter needs no knowledge of which command ran.

export type Level = 'info' | 'warn' | 'error';

/** Where a target is, as progress names it. */
export interface Place {
  account: string;
  accountName: string;
  region: string;
}

/** A finished target, as progress shows it: the same for deploy, status, remove, activity and report. */
export interface TargetOutcome extends Place {
  /** the result word of the row: succeeded, unchanged, failed, skipped, planned, healthy, unhealthy, read, … */
  code: string;
  level: Level;
  action?: string;
  stackStatus?: string | null;
  /** one line on what went wrong, when something did */
  message: string | null;
  durationMs: number;
}

export type RunEvent =
  | { type: 'discovered'; accounts: number; excluded: number }
  | { type: 'phase'; phase: string; targets: number }
  | { type: 'start'; target: Place }
  | { type: 'done'; outcome: TargetOutcome };

export type Emit = (event: RunEvent) => void;

/** The level of a result word: failures are errors, skips warnings, the rest information. */
export function levelOf(code: string): Level {
  return code === 'failed' || code === 'unhealthy' || code === 'unreadable'
    ? 'error'
    : code === 'skipped'
      ? 'warn'
      : 'info';
}
