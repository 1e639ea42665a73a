/**
 * The one top-level error printer. It renders a GuardrailError's message, its problems and its suggestion, walks
 * the `cause` chain, shows AWS SDK errors as `name (HTTP 403, request id …)`, and prints stack traces only with
 * --debug. It returns the exit code the error calls for.
 */
import { AbortError, ExitCode, GuardrailError, formatProblem, type ConfigProblem } from '../errors.js';
import { isUnreachable } from '../aws/reachability.js';

export interface ErrorWriter {
  write(chunk: string): unknown;
}

export interface PrintErrorOptions {
  debug?: boolean;
}

/** Errors from the SDK's credential chain or STS that mean the caller's own credentials are missing or bad. */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
]);

export function exitCodeFor(err: unknown): number {
  if (err instanceof GuardrailError) return err.exitCode;
  const name = errorName(err);
  if (name === 'AbortError') return ExitCode.interrupted;
  if (name !== undefined && CREDENTIAL_ERRORS.has(name)) return ExitCode.credentials;
  // an SDK call that could not reach AWS stopped the run (Organizations down after the credentials check, say)
  if (isUnreachable(err)) return ExitCode.unreachable;
  return ExitCode.failed;
}

export function printError(err: unknown, stderr: ErrorWriter, options: PrintErrorOptions = {}): number {
  // an interruption is the user's own doing, not an error: its line alone ("Interrupted: nothing was changed.")
  if (err instanceof AbortError && !options.debug) {
    stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  const lines: string[] = [`error: ${describe(err)}`];
  const problems = problemsOf(err);
  for (const problem of problems) lines.push(`  ${formatProblem(problem)}`);

  const seen = new Set<unknown>([err]);
  let cause = causeOf(err);
  while (cause !== undefined && !seen.has(cause)) {
    seen.add(cause);
    lines.push(`  caused by: ${describe(cause)}`);
    cause = causeOf(cause);
  }

  if (err instanceof GuardrailError && err.suggestion !== undefined) lines.push(`hint: ${err.suggestion}`);
  if (!(err instanceof GuardrailError) && !options.debug) lines.push('hint: run again with --debug for details');

  if (options.debug) {
    for (const item of seen) {
      if (item instanceof Error && item.stack !== undefined) lines.push('', item.stack);
    }
  }
  stderr.write(`${lines.join('\n')}\n`);
  return exitCodeFor(err);
}

/** One line for an error: SDK errors as `name (HTTP 403, request id …): message`. */
export function describe(err: unknown): string {
  if (!(err instanceof Error) && (typeof err !== 'object' || err === null)) return String(err);
  const name = errorName(err) ?? 'Error';
  const message = errorMessage(err);
  const metadata = sdkMetadata(err);
  if (metadata !== undefined) {
    const details: string[] = [];
    if (metadata.httpStatusCode !== undefined) details.push(`HTTP ${metadata.httpStatusCode}`);
    if (metadata.requestId !== undefined) details.push(`request id ${metadata.requestId}`);
    const head = details.length === 0 ? name : `${name} (${details.join(', ')})`;
    return message === '' || message === name ? head : `${head}: ${message}`;
  }
  if (err instanceof GuardrailError) return message;
  if (message === '') return name;
  // Plain errors keep their class name when it says something ("TypeError: …"), not for a bare Error.
  return name === 'Error' ? message : `${name}: ${message}`;
}

function errorName(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string') return err.name;
  return undefined;
}

function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') {
    return err.message;
  }
  return '';
}

function causeOf(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && 'cause' in err) return err.cause ?? undefined;
  return undefined;
}

function problemsOf(err: unknown): readonly ConfigProblem[] {
  if (typeof err === 'object' && err !== null && 'problems' in err && Array.isArray(err.problems)) {
    return err.problems as ConfigProblem[];
  }
  return [];
}

interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
}

function sdkMetadata(err: unknown): SdkMetadata | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const raw = err.$metadata;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const out: SdkMetadata = {};
  if ('httpStatusCode' in raw && typeof raw.httpStatusCode === 'number') out.httpStatusCode = raw.httpStatusCode;
  if ('requestId' in raw && typeof raw.requestId === 'string') out.requestId = raw.requestId;
  return out;
}
