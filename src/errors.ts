/**
 * Error classes with exit codes. Every error a user can cause or fix is a GuardrailError: it says what failed,
 * where, and (in `suggestion`) what to do next. The one printer in output/print-error.ts renders them.
 */

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  credentials: 3,
  /** AWS (or AWS_ENDPOINT_URL) could not be reached: the run says nothing about the fleet, so not 1 */
  unreachable: 4,
  interrupted: 130,
} as const;

export interface GuardrailErrorOptions {
  suggestion?: string;
  cause?: unknown;
}

export class GuardrailError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly suggestion?: string;

  constructor(code: string, exitCode: number, message: string, options: GuardrailErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    if (options.suggestion !== undefined) this.suggestion = options.suggestion;
  }
}

/** One problem found in a configuration file or a flag, with where it was found. */
export interface ConfigProblem {
  /** The file, or undefined when the problem is in a flag. */
  file?: string;
  line?: number;
  col?: number;
  /** YAML path such as `accounts[1].id`, or the flag such as `--concurrency`. */
  path: string;
  message: string;
  /** A near-miss correction, printed as (did you mean "x"?). */
  didYouMean?: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const where =
    problem.file === undefined
      ? ''
      : problem.line === undefined
        ? `${problem.file}  `
        : `${problem.file}:${problem.line}:${problem.col ?? 1}  `;
  const hint = problem.didYouMean === undefined ? '' : ` (did you mean "${problem.didYouMean}"?)`;
  const path = problem.path === '' ? '' : `${problem.path}  `;
  return `${where}${path}${problem.message}${hint}`;
}

/** The configuration file (or the flags that override it) is missing, unreadable or invalid. Exit 2. */
export class ConfigError extends GuardrailError {
  readonly problems: readonly ConfigProblem[];

  constructor(message: string, options: GuardrailErrorOptions & { problems?: readonly ConfigProblem[] } = {}) {
    super('CONFIG', ExitCode.usage, message, options);
    this.problems = options.problems ?? [];
  }
}

/** The command line itself is wrong: unknown command, bad flag value, missing argument. Exit 2. */
export class UsageError extends GuardrailError {
  readonly problems: readonly ConfigProblem[];

  constructor(message: string, options: GuardrailErrorOptions & { problems?: readonly ConfigProblem[] } = {}) {
    super('USAGE', ExitCode.usage, message, options);
    this.problems = options.problems ?? [];
  }
}

/** The caller's own credentials are missing, expired or rejected. Exit 3. */
export class AuthError extends GuardrailError {
  constructor(message: string, options: GuardrailErrorOptions = {}) {
    super('AUTH', ExitCode.credentials, message, options);
  }
}

/** AWS, or the endpoint AWS_ENDPOINT_URL names, could not be reached (connection, timeout, 5xx). Exit 4. */
export class UnreachableError extends GuardrailError {
  constructor(code: string, message: string, options: GuardrailErrorOptions = {}) {
    super(code, ExitCode.unreachable, message, options);
  }
}

/** A role in a target account could not be assumed. This fails the account's targets, not the run: exit 1. */
export class AssumeRoleError extends GuardrailError {
  readonly account: string;
  readonly roleArn: string;

  constructor(account: string, roleArn: string, options: GuardrailErrorOptions & { from?: string } = {}) {
    const reason = errorName(options.cause);
    const from = options.from === undefined ? '' : ` from ${options.from}`;
    super(
      'ASSUME_ROLE',
      ExitCode.failed,
      `Could not assume ${roleArn}${from}${reason === undefined ? '' : ` (${reason})`}`,
      {
        suggestion: options.suggestion ?? "Check the role's trust policy, or exclude the account in accounts.yaml.",
        cause: options.cause,
      },
    );
    this.account = account;
    this.roleArn = roleArn;
  }
}

/** The run was interrupted (Ctrl-C, or an AbortSignal). Exit 130. */
export class AbortError extends GuardrailError {
  constructor(message = 'Interrupted', options: GuardrailErrorOptions = {}) {
    super('ABORTED', ExitCode.interrupted, message, options);
  }
}

function errorName(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string') return err.name;
  return undefined;
}
