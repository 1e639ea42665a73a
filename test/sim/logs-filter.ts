// CloudWatch Logs filter patterns, the subset the simulator supports (see README):
//  - empty: every event;
//  - terms: `ERROR`, `"exact phrase"`, several terms = all of them, `?A ?B` = any of them, `-term` = not it
//    (case-sensitive substring matches, as CloudWatch documents them);
//  - JSON: `{ $.a = "x" }`, `{ $.a.b[0] != 1 }`, `=`, `!=`, `<`, `<=`, `>`, `>=` (numbers), `*` wildcards in string
//    values (quoted or bare), `IS TRUE|FALSE|NULL`, `NOT EXISTS`, `&&`, `||` and parentheses. Events that are not a
//    JSON object never match a JSON pattern.
// Space-delimited patterns (`[ip, user, …]`) and regular expressions (`%…%`) are refused with
// InvalidParameterException, never approximated.

export type Matcher = (message: string) => boolean;

export class FilterPatternError extends Error {}

export function compileFilterPattern(pattern: string | undefined): Matcher {
  const p = (pattern ?? '').trim();
  if (p === '') return () => true;
  if (p.startsWith('{')) {
    if (!p.endsWith('}')) throw new FilterPatternError('a JSON filter pattern must end with }');
    const expr = new JsonParser(p.slice(1, -1)).parse();
    return (message) => {
      let doc: unknown;
      try {
        doc = JSON.parse(message);
      } catch {
        return false;
      }
      return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && expr(doc);
    };
  }
  if (p.startsWith('['))
    throw new FilterPatternError('space-delimited filter patterns are not supported by the simulator');
  if (p.includes('%'))
    throw new FilterPatternError('regular expressions in filter patterns are not supported by the simulator');
  return termMatcher(p);
}

function termMatcher(p: string): Matcher {
  const tokens = [...p.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map((m) => ({
    mode: m[1] === '?' ? 'any' : m[1] === '-' ? 'not' : 'all',
    text: m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!,
  }));
  const any = tokens.filter((t) => t.mode === 'any');
  const all = tokens.filter((t) => t.mode === 'all');
  const not = tokens.filter((t) => t.mode === 'not');
  return (m) =>
    all.every((t) => m.includes(t.text)) &&
    not.every((t) => !m.includes(t.text)) &&
    (any.length === 0 || any.some((t) => m.includes(t.text)));
}

type Expr = (doc: object) => boolean;
type Value = { kind: 'string'; text: string } | { kind: 'number'; n: number };

const TOKEN = /\s*(\(|\)|&&|\|\||!=|<=|>=|=|<|>|"(?:[^"\\]|\\.)*"|\$[\w.[\]$-]*|[^\s()&|=<>!"]+)/y;

class JsonParser {
  private tokens: string[] = [];
  private at = 0;

  constructor(raw: string) {
    const source = raw.trim();
    TOKEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while (TOKEN.lastIndex < source.length && (m = TOKEN.exec(source))) this.tokens.push(m[1]!);
    if (source.slice(TOKEN.lastIndex).trim() !== '')
      throw new FilterPatternError(
        `cannot read the filter pattern near "${source.slice(TOKEN.lastIndex, TOKEN.lastIndex + 20)}"`,
      );
  }

  parse(): Expr {
    const e = this.or();
    if (this.at < this.tokens.length)
      throw new FilterPatternError(`unexpected "${this.tokens[this.at]}" in the filter pattern`);
    return e;
  }

  private peek(): string | undefined {
    return this.tokens[this.at];
  }

  private take(): string {
    const t = this.tokens[this.at++];
    if (t === undefined) throw new FilterPatternError('the filter pattern ends too early');
    return t;
  }

  private or(): Expr {
    let left = this.and();
    while (this.peek() === '||') {
      this.at++;
      const l = left;
      const r = this.and();
      left = (d) => l(d) || r(d);
    }
    return left;
  }

  private and(): Expr {
    let left = this.primary();
    while (this.peek() === '&&') {
      this.at++;
      const l = left;
      const r = this.primary();
      left = (d) => l(d) && r(d);
    }
    return left;
  }

  private primary(): Expr {
    if (this.peek() === '(') {
      this.at++;
      const e = this.or();
      if (this.take() !== ')') throw new FilterPatternError('missing ) in the filter pattern');
      return e;
    }
    const path = this.take();
    if (!path.startsWith('$')) throw new FilterPatternError(`expected a $.field selector, found "${path}"`);
    const get = selector(path);
    const op = this.take();
    if (op.toUpperCase() === 'IS') {
      const what = this.take().toUpperCase();
      if (what === 'NULL') return (d) => get(d) === null;
      if (what === 'TRUE' || what === 'FALSE') return (d) => get(d) === (what === 'TRUE');
      throw new FilterPatternError(`IS ${what} is not a filter pattern test`);
    }
    if (op.toUpperCase() === 'NOT') {
      if (this.take().toUpperCase() !== 'EXISTS') throw new FilterPatternError('expected NOT EXISTS');
      return (d) => get(d) === undefined;
    }
    if (!['=', '!=', '<', '<=', '>', '>='].includes(op)) throw new FilterPatternError(`unknown operator "${op}"`);
    return compare(get, op, value(this.take()));
  }
}

function value(token: string): Value {
  if (token.startsWith('"')) return { kind: 'string', text: token.slice(1, -1).replace(/\\(.)/g, '$1') };
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token)) return { kind: 'number', n: Number(token) };
  return { kind: 'string', text: token };
}

function compare(get: (d: object) => unknown, op: string, v: Value): Expr {
  if (v.kind === 'number') {
    return (d) => {
      const x = get(d);
      if (typeof x !== 'number') return false;
      switch (op) {
        case '=':
          return x === v.n;
        case '!=':
          return x !== v.n;
        case '<':
          return x < v.n;
        case '<=':
          return x <= v.n;
        case '>':
          return x > v.n;
        default:
          return x >= v.n;
      }
    };
  }
  if (op !== '=' && op !== '!=') throw new FilterPatternError(`${op} compares numbers only`);
  const re = new RegExp(
    `^${v.text
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return (d) => {
    const x = get(d);
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') return false;
    return re.test(String(x)) === (op === '=');
  };
}

/** `$.a.b[0].c` → a getter; undefined when any step is missing. */
function selector(path: string): (d: object) => unknown {
  const steps: (string | number)[] = [];
  const body = path.slice(1);
  const re = /\.([\w$-]+)|\[(\d+)\]/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body))) steps.push(m[1] !== undefined ? m[1] : Number(m[2]));
  if (re.lastIndex !== body.length || steps.length === 0) throw new FilterPatternError(`invalid selector "${path}"`);
  return (d) => {
    let x: unknown = d;
    for (const s of steps) {
      if (typeof x !== 'object' || x === null) return undefined;
      x = (x as Record<string | number, unknown>)[s];
    }
    return x;
  };
}
