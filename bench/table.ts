// The bench's one table: plain text, aligned columns, a mark for every figure that has a target.

export interface Row {
  scenario: string;
  figure: string;
  value: string;
  target: string;
  /** undefined: a figure without a target */
  ok: boolean | undefined;
}

const HEAD: Row = { scenario: 'scenario', figure: 'figure', value: 'measured', target: 'target', ok: undefined };

export function renderTable(title: string, rows: Row[]): string {
  const cols = ['scenario', 'figure', 'value', 'target'] as const;
  const width = Object.fromEntries(
    cols.map((c) => [c, Math.max(...[HEAD, ...rows].map((r) => r[c].length))]),
  ) as Record<(typeof cols)[number], number>;
  const line = (r: Row, mark: string) => `${cols.map((c) => r[c].padEnd(width[c])).join('  ')}  ${mark}`.trimEnd();
  const rule = cols.map((c) => '-'.repeat(width[c])).join('  ') + '  --';
  const mark = (r: Row) => (r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS');
  return [title, '', line(HEAD, ''), rule, ...rows.map((r) => line(r, mark(r))), ''].join('\n') + '\n';
}
