// Runs the CLI in-process, as bin/guardrail does, and captures what it writes: no terminal, no AWS unless the
// caller's env points somewhere.
import { run, type CliIO } from '../../src/cli.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function captureRun(argv: string[], extra: Partial<CliIO> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    isTTY: false,
    env: {},
    ...extra,
  };
  const code = await run(argv, io, { signal: new AbortController().signal });
  return { code, stdout, stderr };
}
