// EventBridge event-pattern matching, after AWS's documented content-filtering semantics.
//  - A pattern is a JSON object. Its keys are ANDed; an object value matches a nested object of the event; an array
//    value lists alternatives for a leaf (ORed).
//  - Alternatives are literals (string, number, boolean, null: exact match, numbers compared as numbers) or one-key
//    filter objects: prefix, suffix (both also with {equals-ignore-case}), anything-but (a value, a list, or
//    {prefix|suffix|equals-ignore-case|wildcard}), numeric, exists, equals-ignore-case, wildcard, cidr.
//  - When the event's value is an array, the leaf matches if any element matches (set intersection).
//  - `$or` holds a list of sub-patterns, any of which must match, together with the object's other keys.
//  - Comparison operators work on leaf nodes only: `exists: true` does not match an object, and nothing but
//    `exists: false` matches a missing field.

export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternException';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Parses and validates a pattern string as EventBridge does on PutRule; throws InvalidEventPatternError. */
export function parseEventPattern(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidEventPatternError('Event pattern is not valid. Reason: Filter is not an object');
  }
  validatePattern(parsed, '');
  return parsed as Record<string, unknown>;
}

function fail(reason: string): never {
  throw new InvalidEventPatternError(`Event pattern is not valid. Reason: ${reason}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validatePattern(pattern: unknown, path: string): void {
  if (!isObject(pattern)) fail('Filter is not an object');
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) fail('"$or" must be an array of at least two objects');
      for (const sub of value) validatePattern(sub, path);
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) fail(`Empty arrays are not allowed at "${here}"`);
      for (const alt of value) validateAlternative(alt, here);
    } else if (isObject(value)) {
      validatePattern(value, here);
    } else {
      fail(`"${here}" must be an object or an array`);
    }
  }
}

function validateAlternative(alt: unknown, here: string): void {
  if (!isObject(alt)) return; // literals are always valid
  const keys = Object.keys(alt);
  if (keys.length !== 1) fail(`Only one key allowed in match expression at "${here}"`);
  const op = keys[0]!;
  const arg = alt[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string') return;
      if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') return;
      return fail(`${op} match pattern must be a string`);
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof arg !== 'string') fail(`${op} match pattern must be a string`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') fail('exists match pattern must be either true or false.');
      return;
    case 'cidr':
      if (typeof arg !== 'string' || parseCidr(arg) === undefined) fail(`Malformed CIDR at "${here}"`);
      return;
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length > 4 || arg.length % 2 !== 0) {
        fail('Value of numeric must be an array of one or two comparisons');
      }
      for (let i = 0; i < arg.length; i += 2) {
        if (!['<', '<=', '=', '>', '>='].includes(arg[i] as string))
          fail(`Unrecognized numeric range operator: ${String(arg[i])}`);
        if (typeof arg[i + 1] !== 'number') fail('Value of numeric range must be a number');
      }
      return;
    }
    case 'anything-but': {
      if (typeof arg === 'string' || typeof arg === 'number') return;
      if (Array.isArray(arg)) {
        if (arg.length === 0) fail('Inside anything but list, empty arrays are not allowed');
        const allStrings = arg.every((x) => typeof x === 'string');
        const allNumbers = arg.every((x) => typeof x === 'number');
        if (!allStrings && !allNumbers) fail('Inside anything but list, mixed types are not allowed');
        return;
      }
      if (isObject(arg) && Object.keys(arg).length === 1) {
        const [inner, v] = Object.entries(arg)[0]!;
        if (['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(inner)) {
          if (typeof v === 'string') return;
          if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return;
        }
      }
      return fail('Value of anything-but must be an array or single string/number value.');
    }
    default:
      return fail(`Unrecognized match type ${op}`);
  }
}

/** True when the event matches the pattern. A pattern that fails validation matches nothing. */
export function matchesPattern(pattern: Record<string, unknown> | string, event: Record<string, unknown>): boolean {
  let p: Record<string, unknown>;
  try {
    p = typeof pattern === 'string' ? parseEventPattern(pattern) : pattern;
    if (typeof pattern !== 'string') validatePattern(p, '');
  } catch {
    return false;
  }
  return matchObject(p, event as Json);
}

function matchObject(pattern: Record<string, unknown>, value: Json | undefined): boolean {
  // an array of objects in the event matches if any of its elements matches the nested pattern
  if (Array.isArray(value)) return value.some((v) => matchObject(pattern, v));
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(sub as Record<string, unknown>[]).some((alt) => matchObject(alt, value))) return false;
      continue;
    }
    const field = isObject(value) ? (value as Record<string, Json>)[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field)) return false;
    } else {
      const nested = sub as Record<string, unknown>;
      if (field === undefined) {
        // a missing parent still satisfies a nested pattern made only of `exists: false`
        if (!onlyAbsence(nested)) return false;
      } else if (!matchObject(nested, field)) {
        return false;
      }
    }
  }
  return true;
}

/** A nested pattern made only of `exists: false` leaves matches when the whole parent is absent. */
function onlyAbsence(pattern: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([k, v]) => {
    if (k === '$or') return (v as Record<string, unknown>[]).some(onlyAbsence);
    if (Array.isArray(v)) return v.some((alt) => isObject(alt) && alt.exists === false);
    return onlyAbsence(v as Record<string, unknown>);
  });
}

function matchLeaf(alternatives: unknown[], field: Json | undefined): boolean {
  // the leaf values to test: an event array contributes each of its elements; an empty array has none
  const values: Json[] = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const leafValues = values.filter((v) => !isObject(v) && !Array.isArray(v));
  return alternatives.some((alt) => {
    if (isObject(alt) && 'exists' in alt) {
      return alt.exists === true ? leafValues.length > 0 : leafValues.length === 0;
    }
    return leafValues.some((v) => matchAlternative(alt, v));
  });
}

function matchAlternative(alt: unknown, v: Json): boolean {
  if (!isObject(alt)) return literalEquals(alt, v);
  const [op, arg] = Object.entries(alt)[0]!;
  switch (op) {
    case 'prefix':
      return (
        typeof v === 'string' &&
        (typeof arg === 'string'
          ? v.startsWith(arg)
          : v.toLowerCase().startsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase()))
      );
    case 'suffix':
      return (
        typeof v === 'string' &&
        (typeof arg === 'string'
          ? v.endsWith(arg)
          : v.toLowerCase().endsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase()))
      );
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && wildcardMatch(String(arg), v);
    case 'cidr':
      return typeof v === 'string' && cidrContains(String(arg), v);
    case 'numeric':
      return typeof v === 'number' && numericMatch(arg as unknown[], v);
    case 'anything-but':
      return anythingBut(arg, v);
    default:
      return false;
  }
}

function literalEquals(lit: unknown, v: Json): boolean {
  if (typeof lit === 'number' && typeof v === 'number') return lit === v;
  return lit === v;
}

function anythingBut(arg: unknown, v: Json): boolean {
  if (Array.isArray(arg)) return !arg.some((x) => literalEquals(x, v));
  if (isObject(arg)) {
    const [inner, raw] = Object.entries(arg)[0]!;
    if (typeof v !== 'string') return false;
    const list = (Array.isArray(raw) ? raw : [raw]) as string[];
    switch (inner) {
      case 'prefix':
        return !list.some((p) => v.startsWith(p));
      case 'suffix':
        return !list.some((s) => v.endsWith(s));
      case 'equals-ignore-case':
        return !list.some((s) => s.toLowerCase() === v.toLowerCase());
      case 'wildcard':
        return !list.some((w) => wildcardMatch(w, v));
      default:
        return false;
    }
  }
  return !literalEquals(arg, v);
}

function numericMatch(spec: unknown[], v: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const op = spec[i] as string;
    const n = spec[i + 1] as number;
    const ok = op === '<' ? v < n : op === '<=' ? v <= n : op === '=' ? v === n : op === '>' ? v > n : v >= n;
    if (!ok) return false;
  }
  return true;
}

/** `*` matches any run of characters; `\*` is a literal star. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && pattern[i + 1] === '*') {
      re += '\\*';
      i++;
    } else if (c === '*') {
      re += '.*';
    } else {
      re += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`, 's').test(value);
}

function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const [ip, bitsText] = cidr.split('/');
  const base = ip === undefined ? undefined : parseIpv4(ip);
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return { base, bits };
}

function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const n = parseIpv4(ip);
  if (!c || n === undefined) return false;
  const size = 2 ** (32 - c.bits);
  return Math.floor(n / size) === Math.floor(c.base / size);
}
