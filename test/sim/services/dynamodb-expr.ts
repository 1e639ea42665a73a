// DynamoDB expressions, as the simulator understands them: condition, filter and key-condition expressions
// (comparisons = <> < <= > >=, BETWEEN, IN, attribute_exists, attribute_not_exists, begins_with, contains, AND, OR,
// NOT, parentheses) and update expressions (SET a = value, SET a = a + :n / a - :n, REMOVE a). Names are top-level
// attributes or #placeholders; nested paths (a.b, a[0]) are not supported and are rejected with AWS's
// ValidationException, as is any syntax error.
import { SimError } from '../types.js';

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export interface ExpressionContext {
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

function invalid(message: string): SimError {
  return new SimError('ValidationException', message, 400);
}

const TOKEN = /\s*(<>|<=|>=|[=<>(),+-]|#[\w]+|:[\w]+|[A-Za-z_][\w]*|\S)/y;

function tokenize(expr: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const m = TOKEN.exec(expr);
    if (!m) break;
    out.push(m[1]!);
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: string[],
    private readonly ctx: ExpressionContext,
    private readonly what: string,
  ) {}

  peek(): string | undefined {
    return this.tokens[this.i];
  }
  next(): string {
    const t = this.tokens[this.i++];
    if (t === undefined) throw invalid(`Invalid ${this.what}: Syntax error; token: "<EOF>"`);
    return t;
  }
  expect(t: string): void {
    const got = this.next();
    if (got.toUpperCase() !== t) throw invalid(`Invalid ${this.what}: Syntax error; token: "${got}", near: "${t}"`);
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }

  /** An attribute name: a bare name or a #placeholder. */
  name(t = this.next()): string {
    if (t.startsWith('#')) {
      const n = this.ctx.names[t];
      if (n === undefined)
        throw invalid(
          `Invalid ${this.what}: An expression attribute name used in the document path is not defined; attribute name: ${t}`,
        );
      return n;
    }
    if (!/^[A-Za-z_]\w*$/.test(t)) throw invalid(`Invalid ${this.what}: Syntax error; token: "${t}"`);
    if (this.peek() === '.' || this.peek() === '[')
      throw invalid(`Invalid ${this.what}: nested attribute paths are not supported by the simulator`);
    return t;
  }

  /** An operand: a :value or an attribute path. */
  operand(): (item: Item) => AttributeValue | undefined {
    const t = this.next();
    if (t.startsWith(':')) {
      const v = this.ctx.values[t];
      if (v === undefined)
        throw invalid(
          `Invalid ${this.what}: An expression attribute value used in expression is not defined; attribute value: ${t}`,
        );
      return () => v;
    }
    const n = this.name(t);
    return (item) => item[n];
  }
}

type Pred = (item: Item) => boolean;

function scalar(v: AttributeValue | undefined): { type: string; value: unknown } | undefined {
  if (!v) return undefined;
  const [type] = Object.keys(v);
  return type ? { type, value: v[type] } : undefined;
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  const x = scalar(a);
  const y = scalar(b);
  if (!x || !y || x.type !== y.type) return undefined;
  if (x.type === 'N') return Number(x.value) - Number(y.value);
  if (x.type === 'S' || x.type === 'B')
    return String(x.value) < String(y.value) ? -1 : String(x.value) > String(y.value) ? 1 : 0;
  if (x.type === 'BOOL' || x.type === 'NULL') return x.value === y.value ? 0 : undefined;
  return JSON.stringify(x.value) === JSON.stringify(y.value) ? 0 : undefined;
}

const COMPARATORS: Record<string, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

function primary(p: Parser): Pred {
  const t = p.peek();
  if (t === '(') {
    p.next();
    const inner = orExpr(p);
    p.expect(')');
    return inner;
  }
  if (t?.toUpperCase() === 'NOT') {
    p.next();
    const inner = primary(p);
    return (item) => !inner(item);
  }
  const fn = t?.toLowerCase();
  if (fn === 'attribute_exists' || fn === 'attribute_not_exists' || fn === 'begins_with' || fn === 'contains') {
    p.next();
    p.expect('(');
    const n = p.name();
    let arg: ((item: Item) => AttributeValue | undefined) | undefined;
    if (fn === 'begins_with' || fn === 'contains') {
      p.expect(',');
      arg = p.operand();
    }
    p.expect(')');
    if (fn === 'attribute_exists') return (item) => item[n] !== undefined;
    if (fn === 'attribute_not_exists') return (item) => item[n] === undefined;
    return (item) => {
      const have = scalar(item[n]);
      const want = scalar(arg!(item));
      if (!have || !want) return false;
      if (fn === 'begins_with') return have.type === want.type && String(have.value).startsWith(String(want.value));
      if (have.type === 'S') return want.type === 'S' && String(have.value).includes(String(want.value));
      return Array.isArray(have.value) && have.value.includes(want.value);
    };
  }
  const left = p.operand();
  const op = p.next().toUpperCase();
  if (op in COMPARATORS) {
    const right = p.operand();
    return (item) => {
      const c = compare(left(item), right(item));
      return c === undefined ? op === '<>' && left(item) !== undefined : COMPARATORS[op]!(c);
    };
  }
  if (op === 'BETWEEN') {
    const lo = p.operand();
    p.expect('AND');
    const hi = p.operand();
    return (item) => (compare(left(item), lo(item)) ?? -1) >= 0 && (compare(left(item), hi(item)) ?? 1) <= 0;
  }
  if (op === 'IN') {
    p.expect('(');
    const options = [p.operand()];
    while (p.peek() === ',') {
      p.next();
      options.push(p.operand());
    }
    p.expect(')');
    return (item) => options.some((o) => compare(left(item), o(item)) === 0);
  }
  throw invalid(`Invalid ${'expression'}: Syntax error; token: "${op}"`);
}

function andExpr(p: Parser): Pred {
  let left = primary(p);
  while (p.peek()?.toUpperCase() === 'AND') {
    p.next();
    const l = left;
    const r = primary(p);
    left = (item) => l(item) && r(item);
  }
  return left;
}

function orExpr(p: Parser): Pred {
  let left = andExpr(p);
  while (p.peek()?.toUpperCase() === 'OR') {
    p.next();
    const l = left;
    const r = andExpr(p);
    left = (item) => l(item) || r(item);
  }
  return left;
}

/** A condition, filter or key-condition expression as a predicate over items. */
export function parseCondition(expr: string, ctx: ExpressionContext, what = 'ConditionExpression'): Pred {
  const p = new Parser(tokenize(expr), ctx, what);
  const pred = orExpr(p);
  if (!p.done()) throw invalid(`Invalid ${what}: Syntax error; token: "${p.peek()}"`);
  return pred;
}

/** The attribute names a key condition constrains (to check it names the partition key). */
export function conditionNames(expr: string, ctx: ExpressionContext): string[] {
  return tokenize(expr)
    .filter((t) => t.startsWith('#') || /^[A-Za-z_]\w*$/.test(t))
    .filter((t) => !/^(AND|OR|NOT|BETWEEN|IN|begins_with)$/i.test(t))
    .map((t) => (t.startsWith('#') ? (ctx.names[t] ?? t) : t));
}

/** Applies an update expression to a copy of the item. */
export function applyUpdate(expr: string, ctx: ExpressionContext, item: Item): Item {
  const p = new Parser(tokenize(expr), ctx, 'UpdateExpression');
  const out: Item = { ...item };
  while (!p.done()) {
    const clause = p.next().toUpperCase();
    if (clause !== 'SET' && clause !== 'REMOVE')
      throw invalid(`Invalid UpdateExpression: Syntax error; token: "${clause}"`);
    do {
      if (p.peek() === ',') p.next();
      const n = p.name();
      if (clause === 'REMOVE') {
        delete out[n];
        continue;
      }
      p.expect('=');
      const first = p.operand();
      const op = p.peek();
      if (op === '+' || op === '-') {
        p.next();
        const second = p.operand();
        const a = scalar(first(item));
        const b = scalar(second(item));
        if (a?.type !== 'N' || b?.type !== 'N')
          throw invalid('Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ' + op);
        out[n] = { N: String(Number(a.value) + (op === '+' ? 1 : -1) * Number(b.value)) };
      } else {
        const v = first(item);
        if (v === undefined)
          throw invalid('The provided expression refers to an attribute that does not exist in the item');
        out[n] = v;
      }
    } while (p.peek() === ',');
  }
  return out;
}
