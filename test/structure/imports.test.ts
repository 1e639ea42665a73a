// Imports run only downward, and never in a circle. Each folder of src/ has a rank; a file may import from its own
// folder or from a folder of a higher rank (further down), never from one above or beside it:
//
//   0  cli.ts                        the program: parses argv, loads a command, prints the error
//   1  commands/                     one thin file per command: options → engineFor → output → exit code
//   2  output/                       reporter, tables, JSON, prompts: renders results and run events
//   3  report/                       the auditors' page: status and activity gathered through one session
//   4  activity/                     the decision logs of every target, read through the engine
//   5  engines/                      the Engine interface and engineFor (index.ts); direct/ and stacksets/
//   6  approvals/  protection/       the approval store, its stack and status columns; the SCP and its survey
//   7  fleet/                        the one fan-out: session, targets, pool, warm-up, plan-ahead, offload, results
//   8  stack/  org/                  one stack (plan, apply, inspect, remove, logs); accounts and the OU tree
//   9  aws/  config/                 clients, credentials, retry, polling, error text; the configuration and schema
//  10  errors.ts  io.ts  version.ts  leaves: they import nothing of ours
//
// Type-only and lazy (`import()`) imports count too: a type import upward is the same coupling, and a lazy import
// circle is still a circle (commands/load.ts lazily imports each command, so a command must not import load.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const RANK: Record<string, number> = {
  'cli.ts': 0,
  commands: 1,
  output: 2,
  report: 3,
  activity: 4,
  engines: 5,
  approvals: 6,
  protection: 6,
  fleet: 7,
  stack: 8,
  org: 8,
  aws: 9,
  config: 9,
  'errors.ts': 10,
  'io.ts': 10,
  'version.ts': 10,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of a file (static, re-exports, type-only and dynamic), as paths relative to src/. */
export function importsOf(text: string, file: string): string[] {
  const specs = new Set<string>();
  const patterns = [/\bfrom\s+'(\.[^']+)'/g, /\bimport\s*\(\s*'(\.[^']+)'\s*\)/g, /^\s*import\s+'(\.[^']+)'/gm];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.add(m[1]!);
  return [...specs].map((s) => relative(SRC, resolve(dirname(file), s.replace(/\.js$/, '.ts'))));
}

/** The folder of src/ a file belongs to (or the file itself, at the top level). */
const unitOf = (path: string) => path.split('/')[0]!;

const graph = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f), importsOf(readFileSync(f, 'utf8'), f)]));

describe('imports', () => {
  it('every folder and top-level file of src/ has a rank', () => {
    const unranked = [...new Set([...graph.keys()].map(unitOf))].filter((u) => RANK[u] === undefined);
    expect(unranked, 'give the new folder a rank in this test, and say why in the comment at its top').toEqual([]);
  });

  it('run only downward: a file imports its own folder or a lower one', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const from = unitOf(file);
        const to = unitOf(target);
        if (from !== to && !(RANK[to]! > RANK[from]!)) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('form no circle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('the checker sees type-only, re-exported and lazy imports', () => {
    const file = join(SRC, 'commands', 'x.ts');
    const text =
      "import type { A } from '../io.js';\nexport { B } from './b.js';\nconst m = () => import('./c.js');\nimport './d.js';\n";
    expect(importsOf(text, file).sort()).toEqual(['commands/b.ts', 'commands/c.ts', 'commands/d.ts', 'io.ts']);
  });

  it('all imported files exist (the checker resolves paths correctly)', () => {
    const missing = [...graph.values()].flat().filter((t) => !graph.has(t));
    expect(missing).toEqual([]);
  });
});
