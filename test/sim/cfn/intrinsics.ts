// Parameters, conditions and intrinsic functions, evaluated as CloudFormation evaluates them.
import { SimError } from '../types.js';
import type { ParameterDecl, Template } from './template.js';

/** AWS::NoValue: removes the property, or the list item, that evaluates to it. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export type ParamValue = string | string[];

export interface ResolvedParameter {
  key: string;
  value: ParamValue;
  /** the value as given (a comma-separated string for lists) */
  raw: string;
  noEcho: boolean;
}

export interface RefTarget {
  physicalId: string;
  attrs: Record<string, unknown>;
  type: string;
}

export interface EvalContext {
  template: Template;
  params: Map<string, ResolvedParameter>;
  pseudo: Record<string, string | string[]>;
  conditions: Map<string, boolean>;
  /** resources planned so far (dependencies come first) */
  resources: Map<string, RefTarget>;
  /** resource logical ids excluded by their condition */
  excluded: Set<string>;
  exports: Map<string, string>;
}

function validation(message: string): SimError {
  return new SimError('ValidationError', message);
}

function isListType(type: string): boolean {
  return type === 'CommaDelimitedList' || type.startsWith('List<');
}

/**
 * The stack's parameter values: given values, previous values (UsePreviousValue) and defaults, each checked against its
 * declaration with CloudFormation's messages.
 */
export function resolveParameters(
  template: Template,
  given: { ParameterKey?: string; ParameterValue?: string; UsePreviousValue?: boolean | string }[],
  previous?: Map<string, ResolvedParameter>,
): Map<string, ResolvedParameter> {
  const decls = template.parameters;
  const values = new Map<string, string>();
  const unknown: string[] = [];
  for (const p of given) {
    const key = p.ParameterKey ?? '';
    if (!(key in decls)) {
      unknown.push(key);
      continue;
    }
    const usePrevious = p.UsePreviousValue === true || p.UsePreviousValue === 'true';
    if (usePrevious) {
      const prev = previous?.get(key);
      if (!prev)
        throw validation(
          `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
      values.set(key, prev.raw);
    } else {
      values.set(key, p.ParameterValue ?? '');
    }
  }
  if (unknown.length > 0) throw validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);

  const missing: string[] = [];
  const out = new Map<string, ResolvedParameter>();
  for (const [key, decl] of Object.entries(decls)) {
    let raw = values.get(key);
    if (raw === undefined && decl.Default !== undefined) {
      raw = Array.isArray(decl.Default) ? decl.Default.map(String).join(',') : String(decl.Default);
    }
    if (raw === undefined) {
      missing.push(key);
      continue;
    }
    const value = checkParameter(key, decl, raw);
    out.set(key, { key, value, raw, noEcho: decl.NoEcho === true || decl.NoEcho === 'true' });
  }
  if (missing.length > 0) throw validation(`Parameters: [${missing.join(', ')}] must have values`);
  return out;
}

function checkParameter(key: string, decl: ParameterDecl, raw: string): ParamValue {
  const fail = (message: string): never => {
    throw validation(
      decl.ConstraintDescription
        ? `Parameter ${key} failed to satisfy constraint: ${decl.ConstraintDescription}`
        : message,
    );
  };
  const list = isListType(decl.Type);
  const items = list ? (raw === '' ? [] : raw.split(',').map((s) => s.trim())) : [raw];
  const numeric = decl.Type === 'Number' || decl.Type === 'List<Number>';
  for (const item of items) {
    if (numeric && (item.trim() === '' || !Number.isFinite(Number(item)))) {
      throw validation(`Parameter '${key}' must be a number`);
    }
    if (decl.AllowedValues && !decl.AllowedValues.map(String).includes(item)) {
      fail(`Parameter '${key}' must be one of AllowedValues`);
    }
    if (decl.AllowedPattern !== undefined && !new RegExp(`^(?:${decl.AllowedPattern})$`).test(item)) {
      fail(`Parameter '${key}' must match pattern ${decl.AllowedPattern}`);
    }
    if (decl.MinLength !== undefined && item.length < Number(decl.MinLength)) {
      fail(`Parameter '${key}' must contain at least ${decl.MinLength} characters`);
    }
    if (decl.MaxLength !== undefined && item.length > Number(decl.MaxLength)) {
      fail(`Parameter '${key}' must contain at most ${decl.MaxLength} characters`);
    }
    if (decl.MinValue !== undefined && Number(item) < Number(decl.MinValue)) {
      fail(`Parameter '${key}' must be a number not less than ${decl.MinValue}`);
    }
    if (decl.MaxValue !== undefined && Number(item) > Number(decl.MaxValue)) {
      fail(`Parameter '${key}' must be a number not greater than ${decl.MaxValue}`);
    }
  }
  return list ? items : raw;
}

/** Evaluates every condition of the template (conditions may refer to each other). */
export function evaluateConditions(ctx: EvalContext): void {
  const visiting = new Set<string>();
  const resolve = (name: string): boolean => {
    const known = ctx.conditions.get(name);
    if (known !== undefined) return known;
    if (!(name in ctx.template.conditions))
      throw validation(
        `Template format error: Unresolved dependencies [${name}]. Cannot reference resources in the Conditions block of the template`,
      );
    if (visiting.has(name)) throw validation(`Template error: circular condition dependency for ${name}`);
    visiting.add(name);
    const v = evalCondition(ctx.template.conditions[name], ctx, resolve);
    ctx.conditions.set(name, v);
    return v;
  };
  for (const name of Object.keys(ctx.template.conditions)) resolve(name);
}

function evalCondition(node: unknown, ctx: EvalContext, resolve: (name: string) => boolean): boolean {
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
    const obj = node as Record<string, unknown>;
    if ('Condition' in obj && Object.keys(obj).length === 1) return resolve(String(obj.Condition));
  }
  const v = evaluate(node, ctx, resolve);
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw validation('Template error: every Conditions member must be a condition function');
}

function args(fn: string, v: unknown, min: number, max = min): unknown[] {
  if (!Array.isArray(v) || v.length < min || v.length > max) {
    throw validation(`Template error: ${fn} requires a list of ${min === max ? min : `${min} to ${max}`} arguments`);
  }
  return v;
}

function str(fn: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw validation(`Template error: ${fn} expects a string`);
}

function refValue(name: string, ctx: EvalContext): unknown {
  if (name === 'AWS::NoValue') return NO_VALUE;
  if (name in ctx.pseudo) return ctx.pseudo[name];
  const p = ctx.params.get(name);
  if (p) return p.value;
  if (ctx.excluded.has(name)) {
    throw validation(
      `Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`,
    );
  }
  const r = ctx.resources.get(name);
  if (r) return r.physicalId;
  throw validation(
    `Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`,
  );
}

function getAtt(resource: string, attr: string, ctx: EvalContext): unknown {
  if (ctx.excluded.has(resource) || !(resource in ctx.template.resources)) {
    throw validation(`Template error: instance of Fn::GetAtt references undefined resource ${resource}`);
  }
  const r = ctx.resources.get(resource);
  if (!r) throw validation(`Template error: instance of Fn::GetAtt references undefined resource ${resource}`);
  if (!(attr in r.attrs)) {
    throw validation(`Template error: resource ${resource} does not support attribute type ${attr} in Fn::GetAtt`);
  }
  return r.attrs[attr];
}

function sub(template: string, vars: Record<string, unknown>, ctx: EvalContext): string {
  return template.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (name in vars) return str('Fn::Sub', vars[name]);
    const dot = name.indexOf('.');
    if (dot > 0 && !(name in ctx.pseudo)) {
      return str('Fn::Sub', getAtt(name.slice(0, dot), name.slice(dot + 1), ctx));
    }
    const v = refValue(name, ctx);
    if (Array.isArray(v)) return v.join(',');
    return str('Fn::Sub', v);
  });
}

/**
 * Evaluates intrinsic functions in a template value. Returns NO_VALUE for AWS::NoValue; objects and lists drop members
 * that evaluate to it.
 */
export function evaluate(node: unknown, ctx: EvalContext, conditionOf?: (name: string) => boolean): unknown {
  const cond =
    conditionOf ??
    ((name: string) => {
      const v = ctx.conditions.get(name);
      if (v === undefined)
        throw validation(
          `Template format error: Unresolved dependencies [${name}]. Cannot reference resources in the Conditions block of the template`,
        );
      return v;
    });
  const ev = (n: unknown): unknown => evaluate(n, ctx, cond);
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const item of node) {
      const v = ev(item);
      if (v !== NO_VALUE) out.push(v);
    }
    return out;
  }
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const fn = keys[0]!;
    const arg = obj[fn];
    switch (fn) {
      case 'Ref':
        return refValue(str('Ref', arg), ctx);
      case 'Condition':
        return cond(str('Condition', arg));
      case 'Fn::GetAtt': {
        const [res, attr] =
          typeof arg === 'string'
            ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)]
            : args(fn, arg, 2).map((a) => str(fn, ev(a)));
        return getAtt(res!, attr!, ctx);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(arg, {}, ctx);
        const [s, vars] = args(fn, arg, 2);
        const evaluatedVars = ev(vars);
        if (typeof evaluatedVars !== 'object' || evaluatedVars === null)
          throw validation('Template error: Fn::Sub variables must be an object');
        return sub(str(fn, s), evaluatedVars as Record<string, unknown>, ctx);
      }
      case 'Fn::Join': {
        const [delim, list] = args(fn, arg, 2);
        const items = ev(list);
        if (!Array.isArray(items))
          throw validation(
            'Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.',
          );
        return items.map((i) => str(fn, i)).join(str(fn, delim));
      }
      case 'Fn::Select': {
        const [index, list] = args(fn, arg, 2);
        const items = ev(list);
        const i = Number(ev(index));
        if (!Array.isArray(items)) throw validation('Template error: Fn::Select requires a list argument');
        if (!Number.isInteger(i) || i < 0 || i >= items.length)
          throw validation('Template error: Fn::Select cannot select nonexistent value at index ' + String(i));
        return items[i];
      }
      case 'Fn::Split': {
        const [delim, s] = args(fn, arg, 2);
        return str(fn, ev(s)).split(str(fn, delim));
      }
      case 'Fn::If': {
        const [name, a, b] = args(fn, arg, 3);
        return cond(str(fn, name)) ? ev(a) : ev(b);
      }
      case 'Fn::Equals': {
        const [a, b] = args(fn, arg, 2).map(ev);
        return JSON.stringify(normaliseScalar(a)) === JSON.stringify(normaliseScalar(b));
      }
      case 'Fn::Not': {
        const [a] = args(fn, arg, 1);
        return !truthy(ev(a), fn);
      }
      case 'Fn::And':
        return args(fn, arg, 2, 10).every((a) => truthy(ev(a), fn));
      case 'Fn::Or':
        return args(fn, arg, 2, 10).some((a) => truthy(ev(a), fn));
      case 'Fn::FindInMap': {
        const [map, top, second] = args(fn, arg, 3).map((a) => str(fn, ev(a)));
        const v = ctx.template.mappings[map!]?.[top!]?.[second!];
        if (v === undefined) throw validation(`Template error: Unable to get mapping for ${map}::${top}::${second}`);
        return v;
      }
      case 'Fn::Base64':
        return Buffer.from(str(fn, ev(arg)), 'utf8').toString('base64');
      case 'Fn::GetAZs': {
        const region = str(fn, ev(arg)) || String(ctx.pseudo['AWS::Region']);
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
      case 'Fn::ImportValue': {
        const name = str(fn, ev(arg));
        const v = ctx.exports.get(name);
        if (v === undefined) throw validation(`No export named ${name} found. Rollback requested by user.`);
        return v;
      }
      case 'Fn::Length': {
        const v = ev(arg);
        if (!Array.isArray(v)) throw validation('Template error: Fn::Length requires a list');
        return v.length;
      }
      default:
        if (fn.startsWith('Fn::')) throw validation(`Template format error: Unrecognized intrinsic function ${fn}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = ev(obj[k]);
    if (v !== NO_VALUE) out[k] = v;
  }
  return out;
}

function truthy(v: unknown, fn: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw validation(`Template error: ${fn} requires conditions as arguments`);
}

function normaliseScalar(v: unknown): unknown {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v;
}
