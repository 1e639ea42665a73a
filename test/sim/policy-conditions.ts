// IAM policy conditions and policy variables, shared by SCP evaluation (scp.ts) and resource-based policies
// (services/resource-policy.ts), after the IAM User Guide: "IAM JSON policy elements: Condition operators",
// "Single-valued vs. multivalued context keys", "Multivalued context key examples" and "IAM policy elements:
// Variables and tags".
//  - A context value is a string (single-valued key) or a list of strings (multivalued key, e.g. aws:TagKeys,
//    dynamodb:LeadingKeys). An empty list is a key with no value: the same as a missing key.
//  - Operators: StringEquals/NotEquals(IgnoreCase), StringLike/NotLike, ArnEquals/NotEquals, ArnLike/NotLike, Bool,
//    Null, and the …IfExists forms. Several operators and keys AND; several values of one key OR. An unknown operator
//    never holds.
//  - Set operators for multivalued keys: `ForAnyValue:` holds when at least one value of the request matches at least
//    one value of the policy (false for a missing or empty key); `ForAllValues:` holds when every value of the request
//    matches at least one value of the policy (true for a missing or empty key). With a negated operator the
//    per-value test is the negation ("matches none of the policy's values").
//  - Policy variables `${key}` (and `${key, 'default'}`) in condition values and Resource elements are replaced by the
//    request's value of that single-valued key; `${*}`, `${?}` and `${$}` are the literal characters. A variable with
//    no value and no default makes that one value match nothing.

export type ContextValue = string | string[];
export type PolicyContext = Record<string, ContextValue | undefined>;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** `*` any run, `?` any one character; `literal` marks positions (from `${*}`/`${?}`) that are plain characters. */
export function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
    .replace(/\uE000/g, '\\*')
    .replace(/\uE001/g, '\\?');
  return new RegExp(`^${body}$`, flags);
}

/** Lower-cased keys, so lookups are case-insensitive as IAM's are. */
export function normaliseContext(context: PolicyContext): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(context)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  }
  return out;
}

/**
 * Replaces the policy variables of one value. Returns undefined when a variable has no value (and no default), so
 * the value matches nothing. `${*}` and `${?}` become markers that `wildcard` treats as literal characters.
 */
export function substitute(value: string, ctx: Map<string, string[]>): string | undefined {
  let unresolved = false;
  const out = value.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
    const spec = inner.trim();
    if (spec === '*') return '\uE000';
    if (spec === '?') return '\uE001';
    if (spec === '$') return '$';
    const m = /^([^,]+?)\s*(?:,\s*'([^']*)')?$/.exec(spec);
    const key = m?.[1]?.trim().toLowerCase() ?? '';
    const have = ctx.get(key);
    // only single-valued keys resolve to a value
    if (have && have.length === 1) return have[0]!;
    if (m?.[2] !== undefined) return m[2];
    unresolved = true;
    return '';
  });
  return unresolved ? undefined : out;
}

/** The literal form of a substituted value (for the exact-match operators). */
const literal = (s: string) => s.replace(/\uE000/g, '*').replace(/\uE001/g, '?');

/**
 * ARN matching: each of the six colon-separated parts is matched on its own (so * never crosses a colon there); a
 * lone "*" matches any ARN, and a pattern with fewer than six parts matches none.
 */
export function arnLike(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.split(':');
  const v = value.split(':');
  if (p.length < 6 || v.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  const [pp, vv] = [head(p), head(v)];
  return pp.every((part, i) => wildcard(part).test(vv[i]!));
}

type Matcher = (wanted: string, actual: string) => boolean;
const OPERATORS: Record<string, { match: Matcher; negated: boolean; variables: boolean }> = {
  StringEquals: { match: (w, a) => literal(w) === a, negated: false, variables: true },
  StringNotEquals: { match: (w, a) => literal(w) === a, negated: true, variables: true },
  StringEqualsIgnoreCase: {
    match: (w, a) => literal(w).toLowerCase() === a.toLowerCase(),
    negated: false,
    variables: true,
  },
  StringNotEqualsIgnoreCase: {
    match: (w, a) => literal(w).toLowerCase() === a.toLowerCase(),
    negated: true,
    variables: true,
  },
  StringLike: { match: (w, a) => wildcard(w).test(a), negated: false, variables: true },
  StringNotLike: { match: (w, a) => wildcard(w).test(a), negated: true, variables: true },
  ArnEquals: { match: (w, a) => literal(w) === a, negated: false, variables: true },
  ArnNotEquals: { match: (w, a) => literal(w) === a, negated: true, variables: true },
  ArnLike: { match: arnLike, negated: false, variables: true },
  ArnNotLike: { match: arnLike, negated: true, variables: true },
  Bool: { match: (w, a) => w.toLowerCase() === a.toLowerCase(), negated: false, variables: false },
};

/** The operators this module evaluates (for documentation and tests). */
export const OPERATOR_NAMES = [...Object.keys(OPERATORS), 'Null'];

/**
 * One condition block against a request context. See the header for the semantics; `…IfExists` makes a missing key
 * satisfy the operator, a negated operator is satisfied by a missing key, `Null` tests presence.
 */
export function conditionHolds(
  condition: Record<string, Record<string, unknown>> | undefined,
  context: PolicyContext,
): boolean {
  if (!condition) return true;
  const ctx = normaliseContext(context);
  for (const [rawOp, entries] of Object.entries(condition)) {
    const setMatch = /^(ForAnyValue|ForAllValues):(.+)$/i.exec(rawOp);
    const set = setMatch ? (setMatch[1]!.toLowerCase() === 'foranyvalue' ? 'any' : 'all') : undefined;
    const withoutSet = setMatch ? setMatch[2]! : rawOp;
    const ifExists = withoutSet.endsWith('IfExists');
    const op = ifExists ? withoutSet.slice(0, -'IfExists'.length) : withoutSet;
    for (const [key, value] of Object.entries(entries ?? {})) {
      const actual = ctx.get(key.toLowerCase()) ?? [];
      const present = actual.length > 0;
      const rawWanted = asList(value).map(String);
      if (op === 'Null') {
        if (!rawWanted.some((w) => (w.toLowerCase() === 'true') === !present)) return false;
        continue;
      }
      const operator = OPERATORS[op];
      if (!operator) return false;
      const wanted = operator.variables
        ? rawWanted.map((w) => substitute(w, ctx)).filter((w): w is string => w !== undefined)
        : rawWanted;
      // does one request value satisfy the operator (any policy value for a positive one, none for a negated one)?
      const valueHolds = (a: string) => {
        const any = wanted.some((w) => operator.match(w, a));
        return operator.negated ? !any : any;
      };
      if (set === 'all') {
        if (!actual.every(valueHolds)) return false;
        continue;
      }
      if (set === 'any') {
        if (!present) {
          if (!ifExists) return false;
          continue;
        }
        if (!actual.some(valueHolds)) return false;
        continue;
      }
      if (!present) {
        if (!(ifExists || operator.negated)) return false;
        continue;
      }
      // a single-valued operator on a multivalued key: the simulator compares each value (all must hold for a
      // negated operator, one for a positive one); AWS asks for a set operator there
      if (operator.negated ? !actual.every(valueHolds) : !actual.some(valueHolds)) return false;
    }
  }
  return true;
}

/** Resource (or NotResource) patterns with policy variables, matched case-sensitively with * and ?. */
export function resourcePatternMatches(
  patterns: unknown,
  resource: string,
  context: PolicyContext,
  flags = '',
): boolean {
  const ctx = normaliseContext(context);
  return asList(patterns).some((p) => {
    if (typeof p !== 'string') return false;
    if (p === '*') return true;
    const v = substitute(p, ctx);
    return v !== undefined && resource !== '*' && wildcard(v, flags).test(resource);
  });
}
