// Running the built bin/guardrail on a pseudo-terminal, as a person at a keyboard would: util-linux script(1) gives
// the child a terminal for stdin, stdout and stderr, so guardrail asks its question. The test reads the question
// and types the answer. (script is in Debian's essential bsdutils; spawn fails loudly if it is missing.)
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

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex -- stripping ANSI escapes (which begin with ESC) is the point
const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/**
 * Runs guardrail with `args` on a terminal. When it asks "… [y/N]", types `answer` and Enter. Asked without an
 * answer to give (`answer` null), it presses Enter, which declines, so a test can never hang on a question.
 */
export function runInTerminal(e: Pick<E2E, 'dir' | 'env'>, args: string[], answer: string | null, timeoutMs = 60_000,
  opts: { columns?: number; env?: Record<string, string> } = {}): Promise<TerminalRun> {
  // script's terminal has no size; with `columns` it gets one (a live spinner needs a width)
  const size = opts.columns ? `stty cols ${opts.columns} rows 40; ` : '';
  const command = size + [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: e.dir, env: { ...e.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    let question: string | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      raw += d.toString();
      if (question !== null) return;
      const m = /([^\n]*)\[y\/N\] /.exec(plain(raw));
      if (!m) return;
      question = `${m[1]!.trim()} [y/N]`;
      child.stdin.write(`${answer ?? ''}\n`);
    });
    child.stderr.on('data', (d: Buffer) => { raw += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: plain(raw), raw, question });
    });
  });
}
