// Running the built bin/guardrail on a pseudo-terminal, as a person at a keyboard would: util-linux script(1) gives
// the child a terminal for stdin, stdout and stderr, so guardrail asks its question. The test reads the question
// and types the answer. (script is in Debian's essential bsdutils; spawn fails loudly if it is missing.)
// What the test types goes through script's stdin to the terminal's line discipline, so the interrupt character
// (\x03) raises SIGINT exactly as Ctrl-C on a keyboard does: only while the terminal keeps ISIG on.
import { spawn } from 'node:child_process';
import { BIN, type E2E } from './harness.js';

export interface TerminalRun {
  code: number | null;
  /** everything the terminal showed (stdout and stderr together), without carriage returns and colour codes */
  output: string;
  /** everything the terminal showed, exactly as written (escape codes included) */
  raw: string;
  /** the question guardrail asked, or null if it asked none */
  question: string | null;
}

export interface TerminalSession {
  /** types on the keyboard: text, or control characters such as the interrupt character \x03 */
  type(keys: string): void;
  /** what the terminal has shown so far, plain */
  output(): string;
  /** resolves once `test` holds for the output (checked on every chunk), rejects after `timeoutMs` */
  waitFor(test: RegExp | ((output: string) => boolean), timeoutMs?: number): Promise<void>;
  done: Promise<TerminalRun>;
}

export interface TerminalOptions {
  /** the terminal's width (0: script's default, a terminal without a size); the spinner runs only with a width */
  columns?: number;
  timeoutMs?: number;
  /** variables added to the run's environment (NO_COLOR, …) */
  env?: Record<string, string>;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex -- stripping ANSI escapes (which begin with ESC) is the point
const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
const QUESTION = /([^\n]*)\[y\/N\] /;

/** Starts guardrail with `args` on a terminal and hands the keyboard to the test. */
export function openTerminal(
  e: Pick<E2E, 'dir' | 'env'>,
  args: string[],
  options: TerminalOptions = {},
): TerminalSession {
  const columns = options.columns ?? 0;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  // a width (and a height) set on the terminal before guardrail starts, as a real terminal window has
  const shell = columns > 0 ? `stty cols ${columns} rows 40 && exec ${command}` : command;
  const child = spawn('script', ['-qfec', shell, '/dev/null'], {
    cwd: e.dir,
    env: { ...e.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    raw += d.toString();
    for (const check of [...waiters]) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<TerminalRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const check of [...waiters]) check();
      const output = plain(raw);
      const m = QUESTION.exec(output);
      resolve({ code, output, raw, question: m ? `${m[1]!.trim()} [y/N]` : null });
    });
  });
  return {
    type: (keys) => void child.stdin.write(keys),
    output: () => plain(raw),
    waitFor(test, timeoutMs = 30_000) {
      const holds = () => (typeof test === 'function' ? test(plain(raw)) : test.test(plain(raw)));
      return new Promise((resolve, reject) => {
        const giveUp = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the terminal never showed ${String(test)}; it showed:\n${plain(raw)}`));
        }, timeoutMs);
        const check = () => {
          if (holds()) {
            clearTimeout(giveUp);
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(giveUp);
            waiters.delete(check);
            reject(new Error(`guardrail ended before the terminal showed ${String(test)}; it showed:\n${plain(raw)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    done,
  };
}

/**
 * Runs guardrail with `args` on a terminal. When it asks "… [y/N]", types `answer` and Enter. Asked without an
 * answer to give (`answer` null), it presses Enter, which declines, so a test can never hang on a question.
 */
export async function runInTerminal(
  e: Pick<E2E, 'dir' | 'env'>,
  args: string[],
  answer: string | null,
  timeoutMs = 60_000,
  opts: { columns?: number; env?: Record<string, string> } = {},
): Promise<TerminalRun> {
  const t = openTerminal(e, args, { timeoutMs, ...opts });
  t.waitFor(QUESTION, timeoutMs).then(
    () => t.type(`${answer ?? ''}\n`),
    () => undefined,
  );
  return t.done;
}
