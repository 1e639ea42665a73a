/**
 * The guardrail command line: builds the commander program from the command registry, loads each command's module
 * only when it runs, and owns the one top-level catch. run() returns the exit code; bin/guardrail sets it.
 */
import { Command, CommanderError, Option } from 'commander';
import { AbortError, ExitCode } from './errors.js';
import { COMMANDS, type CommandSpec, type GlobalOptions } from './commands/index.js';
import type { CliIO } from './io.js';
import { exitCodeFor, printError } from './output/print-error.js';
import { packageVersion } from './version.js';

export type { CliIO, Writer } from './io.js';

export interface RunOptions {
  /** Aborts the running command; when absent, run() aborts on the process's first SIGINT. */
  signal?: AbortSignal;
}

function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
  };
}

export async function run(argv: readonly string[], io: CliIO = processIO(), options: RunOptions = {}): Promise<number> {
  const controller = new AbortController();
  // The first Ctrl-C stops the run (running work finishes, the summary prints); a second one ends the process at
  // once, as Node's default would. Not process.once: a once-listener is gone by the time later listeners run, and
  // signal-exit (ora's cursor restore) then sees itself alone and re-raises SIGINT, killing the run mid-summary.
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort(new AbortError('Interrupted (Ctrl-C)'));
      return;
    }
    process.off('SIGINT', onSigint);
    process.kill(process.pid, 'SIGINT');
  };
  const external = options.signal;
  const onExternalAbort = () => controller.abort(external?.reason);
  if (external !== undefined) {
    if (external.aborted) onExternalAbort();
    else external.addEventListener('abort', onExternalAbort, { once: true });
  } else {
    process.on('SIGINT', onSigint);
  }

  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, controller.signal, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExitCode(err);
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug');
    return printError(err, io.stderr, { debug });
  } finally {
    process.off('SIGINT', onSigint);
    external?.removeEventListener('abort', onExternalAbort);
  }
}

/** commander reports help and --version as "errors" with exit code 0; every real parse error is a usage error. */
function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
  return err.exitCode === ExitCode.ok ? ExitCode.ok : ExitCode.usage;
}

function buildProgram(io: CliIO, signal: AbortSignal, setExitCode: (code: number) => void): Command {
  const program = new Command('guardrail');
  program
    .description('Deploy an event-driven security-group guardrail to every account and region of an AWS Organization.')
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(false)
    .option('--profile <name>', 'AWS profile for your own credentials (default: AWS_PROFILE or the default chain)')
    .option('--no-color', 'no colours in the output (NO_COLOR works too)')
    .option('--debug', 'print stack traces and SDK details on errors')
    .exitOverride()
    .showHelpAfterError('(run guardrail --help for usage)')
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });

  for (const spec of COMMANDS) addCommand(program, spec, io, signal, setExitCode);
  return program;
}

function addCommand(
  program: Command,
  spec: CommandSpec,
  io: CliIO,
  signal: AbortSignal,
  setExitCode: (code: number) => void,
): void {
  const command = program.command(spec.name).summary(spec.summary).description(spec.description);
  for (const optionSpec of spec.options) {
    const option = new Option(optionSpec.flags, optionSpec.description);
    // the one check of a choice: commander rejects any other value (exit 2), so the union the command's options type
    // derives from `choices` (commands/index.ts) holds, and no command checks it again
    if (optionSpec.choices !== undefined) option.choices(optionSpec.choices);
    if (optionSpec.defaultValue !== undefined) option.default(optionSpec.defaultValue);
    command.addOption(option);
  }
  // positional arguments are taken as extra arguments, so the command list keeps one short line per command
  if (spec.arguments !== undefined) command.usage(`[options] ${spec.arguments}`).allowExcessArguments(true);
  command.action(async (...actionArgs: unknown[]) => {
    const cmd = actionArgs[actionArgs.length - 1] as Command;
    const globals = program.opts<Partial<GlobalOptions>>();
    const resolvedGlobals: GlobalOptions = {
      color: globals.color !== false,
      debug: globals.debug === true,
      ...(globals.profile === undefined ? {} : { profile: globals.profile }),
    };
    const color = resolvedGlobals.color && io.isTTY && (io.env.NO_COLOR ?? '') === '';
    const { loadCommand } = await import('./commands/load.js');
    const module = await loadCommand(spec.name);
    // positional arguments, when the command takes any, arrive as options.args
    const options = spec.arguments === undefined ? cmd.opts() : { ...cmd.opts(), args: cmd.args };
    try {
      setExitCode(await module.execute({ options, globals: resolvedGlobals, io, color, signal }));
    } catch (err) {
      // --output json promises one JSON document on stdout: a run that stops before any result still writes one,
      // with the error, so a pipeline reading stdout never gets nothing (validate writes its own).
      if (options.output === 'json' && spec.name !== 'validate') {
        io.stdout.write(`${JSON.stringify(errorDocument(spec.name, err), null, 2)}\n`);
      }
      throw err;
    }
  });
}

function errorDocument(command: string, err: unknown) {
  const e = err as { code?: unknown; message?: unknown; suggestion?: unknown; name?: unknown };
  return {
    command,
    version: packageVersion(),
    error: {
      code: typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'ERROR',
      message: typeof e.message === 'string' ? e.message : String(err),
      exitCode: exitCodeFor(err),
      ...(typeof e.suggestion === 'string' ? { suggestion: e.suggestion } : {}),
    },
    targets: [],
    summary: null,
  };
}
