// The one fan-out skeleton every command's pipeline runs on: open the session (sized here, not by a command),
// discover the accounts (each handed to `warm` as its ListAccounts page arrives), expand them into account × region
// targets, run per-target work through the pool, report every row exactly once (as a run event), and hand the rows
// back in a stable order. What a row is and what the work does belong to the caller; when a target is worked on,
// skipped or reported is decided here.
import type { GuardrailConfig } from '../config/index.js';
import type { Emit, Place, TargetOutcome } from './events.js';
import { runPool, type PoolOptions, type PoolRun } from './pool.js';
import { openSession, type Session } from './session.js';
import {
  expandTargets,
  resolveAccounts,
  warmTargets,
  type Target,
  type TargetAccount,
  type TargetSet,
} from './targets.js';

export interface FleetInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  signal: AbortSignal;
  emit: Emit;
}

/** What a pipeline's rows are to the fleet: how to make one for a target no work ran on, and what progress shows. */
export interface RowKind<Row extends Place> {
  /**
   * the row of a target that was not worked on: its account could not be expanded (`error`), or it was skipped
   * (`skipped`)
   */
  blank(place: Place, why: { error: string; reason?: string } | { skipped: string }): Row;
  outcome(row: Row): TargetOutcome;
  /**
   * For rows whose verdict needs more than the row (status: the code reference, the SCP survey): called instead of
   * reporting, it reports the row (`report`) once judged. Its promise is awaited before the run's rows are final.
   */
  judge?(row: Row, report: (row: Row) => void): Promise<void>;
}

export interface OpenOptions {
  /**
   * Starts a target's read-only work while the organisation is still being listed (warm-up.ts); without it, each
   * account's role is assumed as it is found. `null`: nothing is started early.
   */
  warm?: ((t: Target) => Promise<unknown>) | null;
}

export interface EachOptions<Item, Row> {
  /** the target an item stands for (default: the item is a Target) */
  targetOf?: (item: Item) => Target;
  /** the row of an item the pool skipped (default: the kind's blank row) */
  skipped?: (item: Item, reason: string) => Row;
  failureTolerance?: number | null;
  initialFailures?: number;
  isFailure?: (row: Row) => boolean;
  concurrency?: number;
}

/** A run's session, with its client cache sized to the targets in flight and those planned ahead of the window. */
export function openFleetSession(
  config: GuardrailConfig,
  env: Record<string, string | undefined>,
  profile?: string,
): Promise<Session> {
  return openSession({
    sessionName: config.organization.sessionName,
    env,
    maxClientSets: 2 * config.deploy.concurrency + 32,
    ...(profile ? { profile } : {}),
  });
}

/** A promise and its resolve, for a value that is known later in the run (the SCP survey, after discovery). */
export function deferred<T>(): { promise: Promise<T>; resolve(value: T | Promise<T>): void } {
  let resolve!: (value: T | Promise<T>) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class Fleet<Row extends Place> {
  readonly rows: Row[] = [];
  set: TargetSet = { managementAccountId: null, accounts: [], excluded: [] };
  targets: Target[] = [];
  /** accounts whose regions could not be listed, each reported as one row */
  unreachable = 0;

  constructor(
    readonly input: FleetInput,
    private readonly kind: RowKind<Row>,
  ) {}

  /** Discovery and targets; reports the accounts that could not be expanded into targets. */
  async open(opts: OpenOptions = {}): Promise<this> {
    const { session, config, selectedAccounts, emit } = this.input;
    const warm = opts.warm;
    this.set = await resolveAccounts(
      session,
      config,
      selectedAccounts,
      warm === null ? null : warm ? (a, next) => warmTargets(session, a, next, warm) : undefined,
    );
    emit({ type: 'discovered', accounts: this.set.accounts.length, excluded: this.set.excluded.length });
    await this.expand(this.set);
    return this;
  }

  /**
   * The targets of `accounts` (all of the set's by default), kept as the run's: for a pipeline whose engine found
   * the accounts itself (StackSets splits them between the stack set and direct stacks). Reports the accounts that
   * could not be expanded into targets.
   */
  async expand(set: TargetSet, accounts: readonly TargetAccount[] = set.accounts): Promise<Target[]> {
    const { session, config } = this.input;
    this.set = set;
    const { targets, failed } = await expandTargets(
      session,
      [...accounts],
      config.deploy.concurrency,
      config.stackName,
    );
    this.targets = targets;
    this.unreachable = failed.length;
    for (const f of failed) this.report(this.kind.blank(f, { error: f.error ?? 'unknown error', reason: f.reason }));
    return targets;
  }

  private readonly judging: Promise<void>[] = [];

  /** Reports a finished row (once judged, when its kind judges): kept for the result, and shown by progress. */
  report(row: Row): void {
    if (this.kind.judge) this.judging.push(this.kind.judge(row, (r) => this.record(r)));
    else this.record(row);
  }

  private record(row: Row): void {
    this.rows.push(row);
    this.input.emit({ type: 'done', outcome: this.kind.outcome(row) });
  }

  /** Every row judged so far has been reported. */
  async judged(): Promise<void> {
    await Promise.all(this.judging);
  }

  /** Reports the rows of items that will not run, with the reason. */
  skip(places: readonly Place[], reason: string): void {
    for (const p of places) this.report(this.kind.blank(p, { skipped: reason }));
  }

  started(target: Place): void {
    this.input.emit({ type: 'start', target });
  }

  phase(phase: string, targets: number): void {
    this.input.emit({ type: 'phase', phase, targets });
  }

  /**
   * The pool as it is, for a pipeline that reports its own rows (deploy's phases): the run's signal and
   * concurrency unless the options say otherwise.
   */
  pool<T, R>(
    items: readonly T[],
    work: (item: T, index: number) => Promise<R>,
    opts: Partial<PoolOptions<R>> = {},
    onSettled?: Parameters<typeof runPool<T, R>>[3],
  ): Promise<PoolRun<R>> {
    const { config, signal } = this.input;
    return runPool(
      items,
      work,
      {
        concurrency: config.deploy.concurrency,
        failureTolerance: null,
        signal,
        isFailure: () => false,
        ...opts,
      },
      onSettled,
    );
  }

  /**
   * One phase: every item through the pool; each row is reported as its work returns it (null: the work reported
   * on its own), and each item the pool skipped (Ctrl-C, failure tolerance) gets a skipped row.
   */
  async each<Item>(
    phase: string,
    items: readonly Item[],
    work: (item: Item, index: number) => Promise<Row | null>,
    opts: EachOptions<Item, Row> = {},
  ): Promise<PoolRun<Row | null>> {
    this.phase(phase, items.length);
    const targetOf = opts.targetOf ?? ((item: Item) => item as unknown as Target);
    return this.pool(
      items,
      work,
      {
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        failureTolerance: opts.failureTolerance ?? null,
        initialFailures: opts.initialFailures ?? 0,
        isFailure: (r) => r !== null && (opts.isFailure?.(r) ?? false),
      },
      (item, outcome) => {
        if (outcome.kind === 'ran') {
          if (outcome.result) this.report(outcome.result);
        } else
          this.report(
            opts.skipped
              ? opts.skipped(item, outcome.reason)
              : this.kind.blank(targetOf(item), { skipped: outcome.reason }),
          );
      },
    );
  }

  /** Every row reported, by account, then region. */
  sorted(): Row[] {
    return [...this.rows].sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  }
}
