// Progress on stderr: an ora spinner with done/total, failures, in flight and an ETA on a TTY outside CI; one plain
// line per finished target everywhere else. Results go to stdout separately (output/results.ts).
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { CliIO } from '../io.js';

export interface ProgressTarget {
  account: string;
  accountName: string;
  region: string;
}

export interface FinishedTarget extends ProgressTarget {
  result: string;
  action?: string;
  stackStatus?: string | null;
  error?: string | null;
  durationMs: number;
}

export interface Reporter {
  phase(label: string, total: number): void;
  started(t: ProgressTarget): void;
  finished(t: FinishedTarget): void;
  note(text: string): void;
  stop(): void;
}

const GOOD = new Set(['succeeded', 'unchanged', 'planned', 'healthy', 'removed']);

export function symbolFor(result: string, chalk: ChalkInstance): string {
  if (GOOD.has(result)) return chalk.green('✓');
  if (result === 'skipped') return chalk.yellow('-');
  return chalk.red('✗');
}

export function targetLabel(t: ProgressTarget): string {
  return `${t.accountName || t.account} (${t.account})/${t.region}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

export interface ReporterOptions {
  /**
   * The results printed on stdout after the run show every failure's error, on the same terminal (a table, not
   * --output json): a failed target's progress line then leaves its error out, so the error is printed once.
   */
  errorsBelow?: boolean;
}

/** Whether a command's results will show the errors on the terminal the progress is on (see `errorsBelow`). */
export function errorsBelow(io: CliIO, output: string | undefined): boolean {
  return io.isTTY && output !== 'json' && output !== 'csv';
}

export async function createReporter(
  io: CliIO,
  color: boolean,
  verb: string,
  options: ReporterOptions = {},
): Promise<Reporter> {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const spinner = await liveSpinner(io, color);
  let label = verb;
  let total = 0;
  let done = 0;
  let failed = 0;
  const running = new Set<string>();
  const repeats = repeatedAccountErrors();
  let phaseStart = Date.now();
  let phaseDone = 0;

  const render = () => {
    if (!spinner) return;
    const elapsed = Date.now() - phaseStart;
    const remaining = total - done;
    const rate = phaseDone > 0 ? elapsed / phaseDone : 0;
    const eta = rate > 0 && remaining > 0 ? ` · ETA ${seconds(rate * remaining)}` : '';
    spinner.text = `${label}: ${done}/${total} done · ${failed} failed · ${running.size} in flight${eta}`;
  };

  return {
    phase(name, count) {
      label = `${verb} (${name})`;
      total = Math.max(total, done + count);
      phaseStart = Date.now();
      phaseDone = 0;
      if (spinner && !spinner.isSpinning) spinner.start();
      if (!spinner) io.stderr.write(`${chalk.bold(name)}: ${count} target(s)\n`);
      render();
    },
    started(t) {
      running.add(targetLabel(t));
      render();
    },
    finished(t) {
      done++;
      phaseDone++;
      if (t.result === 'failed') failed++;
      running.delete(targetLabel(t));
      if (repeats(t)) {
        render();
        return;
      }
      const line = finishedLine(t, chalk, options.errorsBelow);
      if (spinner) {
        if (t.result === 'failed') {
          spinner.clear();
          io.stderr.write(`${line}\n`);
        }
        render();
      } else {
        io.stderr.write(`${line}\n`);
      }
    },
    note(text) {
      if (spinner) spinner.clear();
      io.stderr.write(`${text}\n`);
      render();
    },
    stop() {
      spinner?.stop();
    },
  };
}

/** The spinner, when progress can be drawn live; undefined: plain lines. */
async function liveSpinner(io: CliIO, color: boolean): Promise<Ora | undefined> {
  // A live spinner needs a real terminal on stderr, with a width: ora redraws by counting wrapped lines, and a
  // zero-width pseudo-terminal (script(1), some CI runners) makes that count run away.
  const err = io.stderr as { isTTY?: boolean; columns?: number };
  // Without colour (NO_COLOR, --no-color) no escape code at all is written, so no spinner either: plain lines.
  const live = color && io.isTTY && !io.env.CI && err.isTTY === true && (err.columns ?? 0) > 0;
  if (!live) return undefined;
  const { default: ora } = await import('ora');
  // discardStdin off: ora would put the terminal in raw mode (no ISIG) to swallow keystrokes, and Ctrl-C would
  // then reach guardrail as a byte it never reads instead of as SIGINT. The terminal keeps its line discipline, so
  // Ctrl-C interrupts a run exactly as it does with output piped (cli.ts's SIGINT handler).
  return ora({ stream: io.stderr as NodeJS.WritableStream, color: 'cyan', isEnabled: true, discardStdin: false });
}

/**
 * Whether a finished target's error was already shown for its account: a role that cannot be assumed fails every
 * region of the account the same way, and is shown once for the account, not once per region. Only an error about
 * the account (it names the account and not the region, as a role's ARN does); a region's own finding ("not
 * deployed") is shown per region.
 */
function repeatedAccountErrors(): (t: FinishedTarget) => boolean {
  const shownErrors = new Map<string, Set<string>>();
  return (t) => {
    if (!t.error || !t.error.includes(t.account) || t.error.includes(t.region)) return false;
    const seen = shownErrors.get(t.account) ?? new Set<string>();
    shownErrors.set(t.account, seen);
    if (seen.has(t.error)) return true;
    seen.add(t.error);
    return false;
  };
}

/** A finished target's progress line; its error on the next line unless the results below show it. */
function finishedLine(t: FinishedTarget, chalk: ChalkInstance, errorsBelow: boolean | undefined): string {
  const error = t.error && !errorsBelow ? `\n    ${chalk.red(t.error)}` : '';
  return (
    `${symbolFor(t.result, chalk)} ${targetLabel(t)}  ${t.result}${t.action ? ` (${t.action})` : ''}` +
    `${t.stackStatus ? `  ${t.stackStatus}` : ''}  ${seconds(t.durationMs)}${error}`
  );
}
