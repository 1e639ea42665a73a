// Template parsing: JSON or YAML (with the short-form intrinsic tags), the sections CloudFormation reads, and the
// dependency order of resources (Ref, Fn::GetAtt, Fn::Sub references and DependsOn).
import { parseDocument, isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { SimError } from '../types.js';

export const TEMPLATE_BODY_LIMIT = 51_200;

export interface ParameterDecl {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  AllowedPattern?: string;
  MinLength?: number | string;
  MaxLength?: number | string;
  MinValue?: number | string;
  MaxValue?: number | string;
  NoEcho?: boolean | string;
  Description?: string;
  ConstraintDescription?: string;
}

export interface ResourceDecl {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: unknown;
}

export interface OutputDecl {
  Value: unknown;
  Description?: unknown;
  Condition?: string;
  Export?: { Name: unknown };
}

export interface Template {
  body: string;
  description?: string;
  parameters: Record<string, ParameterDecl>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  conditions: Record<string, unknown>;
  resources: Record<string, ResourceDecl>;
  outputs: Record<string, OutputDecl>;
  /** resource logical ids, dependencies first */
  order: string[];
  /** logical id → logical ids it depends on */
  dependsOn: Map<string, Set<string>>;
}

/** Short-form tags and the long form each stands for. */
const SHORT_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!GetAtt': 'Fn::GetAtt',
  '!Sub': 'Fn::Sub',
  '!Join': 'Fn::Join',
  '!If': 'Fn::If',
  '!Equals': 'Fn::Equals',
  '!Not': 'Fn::Not',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!FindInMap': 'Fn::FindInMap',
  '!Base64': 'Fn::Base64',
  '!GetAZs': 'Fn::GetAZs',
  '!ImportValue': 'Fn::ImportValue',
  '!Cidr': 'Fn::Cidr',
  '!Length': 'Fn::Length',
  '!ToJsonString': 'Fn::ToJsonString',
};

function formatError(message: string): SimError {
  return new SimError('ValidationError', `Template format error: ${message}`);
}

function yamlToJs(node: Node | null | undefined, doc: Document): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return yamlToJs(node.resolve(doc), doc);
  let value: unknown;
  if (isScalar(node)) {
    value = node.value;
  } else if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(yamlToJs(pair.key as Node, doc));
      out[key] = yamlToJs(pair.value as Node | null, doc);
    }
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((item) => yamlToJs(item as Node, doc));
  }
  const tag = node.tag;
  if (tag && tag.startsWith('!') && !tag.startsWith('!!')) {
    const fn = SHORT_TAGS[tag];
    if (!fn) throw formatError(`Unrecognized YAML tag ${tag}`);
    if (fn === 'Fn::GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      value = dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
    }
    if (fn === 'Fn::GetAZs' && value === null) value = '';
    return { [fn]: value };
  }
  return value;
}

function parseBody(body: string): Record<string, unknown> {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch (err) {
      throw formatError(`JSON not well-formed. (${(err as Error).message})`);
    }
  }
  const doc = parseDocument(body, { uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw formatError(`YAML not well-formed. (line ${pos?.line ?? 0}, column ${pos?.col ?? 0})`);
  }
  const value = yamlToJs(doc.contents, doc);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw formatError('YAML not well-formed. (line 1, column 1)');
  }
  return value as Record<string, unknown>;
}

function section<T>(raw: Record<string, unknown>, name: string): Record<string, T> {
  const v = raw[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw formatError(`${name} must be an object`);
  return v as Record<string, T>;
}

/** Resources (and pseudo parameters are excluded) that a value refers to. */
export function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const k = keys[0]!;
    const arg = obj[k];
    if (k === 'Ref' && typeof arg === 'string') {
      into.add(arg);
      return;
    }
    if (k === 'Fn::GetAtt') {
      if (Array.isArray(arg) && typeof arg[0] === 'string') into.add(arg[0]);
      else if (typeof arg === 'string') into.add(arg.split('.')[0]!);
      return;
    }
    if (k === 'Fn::Sub') {
      const [str, vars]: unknown[] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
      const local = new Set(typeof vars === 'object' && vars !== null ? Object.keys(vars) : []);
      if (typeof str === 'string') {
        for (const m of str.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1]!.trim().split('.')[0]!;
          if (!local.has(name)) into.add(name);
        }
      }
      if (vars !== undefined) collectRefs(vars, into);
      return;
    }
  }
  for (const v of Object.values(obj)) collectRefs(v, into);
}

/** TemplateBody's limit; a template read from TemplateURL is held to the object's 1 MB instead (services/s3.ts). */
function checkBodyLength(body: string): void {
  if (body.length > TEMPLATE_BODY_LIMIT) {
    throw new SimError(
      'ValidationError',
      `1 validation error detected: Value '${body.slice(0, 40)}…' at 'templateBody' failed to satisfy constraint: ` +
        `Member must have length less than or equal to ${TEMPLATE_BODY_LIMIT}`,
    );
  }
}

export function parseTemplate(body: string, from: 'body' | 'url' = 'body'): Template {
  if (from === 'body') checkBodyLength(body);
  const raw = parseBody(body);
  const resources = section<ResourceDecl>(raw, 'Resources');
  if (Object.keys(resources).length === 0) throw formatError('At least one Resources member must be defined.');
  const parameters = section<ParameterDecl>(raw, 'Parameters');
  const conditions = section<unknown>(raw, 'Conditions');
  const outputs = section<OutputDecl>(raw, 'Outputs');
  const mappings = section<Record<string, Record<string, unknown>>>(raw, 'Mappings');

  for (const [id, r] of Object.entries(resources)) {
    if (typeof r !== 'object' || r === null || typeof r.Type !== 'string') {
      throw formatError(`[/Resources/${id}] Every Resources object must contain a Type member.`);
    }
    if (r.Condition !== undefined && !(r.Condition in conditions)) {
      throw formatError(
        `Unresolved dependencies [${r.Condition}]. Cannot reference resources in the Conditions block of the template`,
      );
    }
  }
  for (const [id, p] of Object.entries(parameters)) {
    if (typeof p !== 'object' || p === null || typeof p.Type !== 'string') {
      throw formatError(`[/Parameters/${id}] Every Parameters object must contain a Type member.`);
    }
    if (p.AllowedValues !== undefined && !Array.isArray(p.AllowedValues)) {
      throw formatError('Every AllowedValues member must be a list.');
    }
  }
  for (const [id, o] of Object.entries(outputs)) {
    if (typeof o !== 'object' || o === null || !('Value' in o)) {
      throw formatError(`[/Outputs/${id}] Every Outputs member must contain a Value object`);
    }
  }

  // dependencies between resources; a name that is neither a parameter, a pseudo parameter nor a resource is an error
  const dependsOn = new Map<string, Set<string>>();
  const unresolved = new Set<string>();
  for (const [id, r] of Object.entries(resources)) {
    const refs = new Set<string>();
    collectRefs(r.Properties, refs);
    const explicit = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    for (const d of explicit) {
      if (!(d in resources))
        throw formatError(`Unresolved resource dependencies [${d}] in the Resources block of the template`);
      refs.add(d);
    }
    const deps = new Set<string>();
    for (const name of refs) {
      if (name in resources) deps.add(name);
      else if (!(name in parameters) && !name.startsWith('AWS::')) unresolved.add(name);
    }
    dependsOn.set(id, deps);
  }
  const outputRefs = new Set<string>();
  collectRefs(
    Object.values(outputs).map((o) => o.Value),
    outputRefs,
  );
  for (const name of outputRefs) {
    if (!(name in resources) && !(name in parameters) && !name.startsWith('AWS::')) unresolved.add(name);
  }
  if (unresolved.size > 0) {
    throw formatError(
      `Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`,
    );
  }

  return {
    body,
    description: typeof raw.Description === 'string' ? raw.Description : undefined,
    parameters,
    mappings,
    conditions,
    resources,
    outputs,
    order: topoSort(dependsOn),
    dependsOn,
  };
}

/** Kahn's algorithm in template order; a cycle is CloudFormation's validation error. */
function topoSort(deps: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const remaining = new Set(deps.keys());
  while (remaining.size > 0) {
    let progressed = false;
    for (const id of remaining) {
      if ([...deps.get(id)!].every((d) => done.has(d))) {
        order.push(id);
        done.add(id);
        remaining.delete(id);
        progressed = true;
      }
    }
    if (!progressed) {
      throw new SimError('ValidationError', `Circular dependency between resources: [${[...remaining].join(', ')}]`);
    }
  }
  return order;
}

/**
 * Parsed templates are immutable and shared by every stack that uses the same body (thousands of stacks, one parse).
 */
const cache = new Map<string, Template>();
const CACHE_LIMIT = 64;

export function templateFor(body: string, from: 'body' | 'url' = 'body'): Template {
  if (from === 'body') checkBodyLength(body);
  const hit = cache.get(body);
  if (hit) return hit;
  const t = parseTemplate(body, 'url');
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(body, t);
  return t;
}
