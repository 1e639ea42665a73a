// Where the CLI reads and writes. A leaf module: commands/ and output/ both import it, and it imports nothing, so
// the reporter never has to reach up into commands/ for the type.

export interface Writer {
  write(chunk: string): unknown;
}

/** Where a command reads and writes; tests pass their own. */
export interface CliIO {
  stdout: Writer;
  stderr: Writer;
  /** Whether stdout is a terminal (colour, spinners, prompts). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** The directory ./accounts.yaml is looked up in; process.cwd() when absent. */
  cwd?: string;
}
