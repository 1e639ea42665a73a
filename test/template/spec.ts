// Checks a template's resources against the CloudFormation registry schemas published on npm
// (@aws-cdk/aws-service-spec): known types, required properties present, no unknown properties, allowed values.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

interface SpecType {
  type: string;
  element?: SpecType;
  types?: SpecType[];
  reference?: { $ref: string };
  allowedValues?: string[];
}
interface SpecProperty {
  type: SpecType;
  required?: boolean;
}
interface SpecResource {
  cloudFormationType: string;
  properties: Record<string, SpecProperty>;
  attributes: Record<string, unknown>;
}
interface SpecTypeDef {
  $id: string;
  name: string;
  properties: Record<string, SpecProperty>;
}

let cache: { resources: Map<string, SpecResource>; types: Map<string, SpecTypeDef> } | undefined;

function load() {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@aws-cdk/aws-service-spec/db.json.gz');
  const db = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    schema: { resource: { entities: SpecResource[] }; typeDefinition: { entities: SpecTypeDef[] } };
  };
  cache = {
    resources: new Map(db.schema.resource.entities.map((r) => [r.cloudFormationType, r])),
    types: new Map(db.schema.typeDefinition.entities.map((t) => [t.$id, t])),
  };
  return cache;
}

export function resourceAttributes(type: string): string[] {
  return Object.keys(load().resources.get(type)?.attributes ?? {});
}

function isIntrinsic(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition');
}

/** Returns every problem found, as "Resource.Path: message". */
export function checkTemplate(template: {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): string[] {
  const { resources, types } = load();
  const problems: string[] = [];

  const checkValue = (where: string, t: SpecType, value: unknown): void => {
    if (isIntrinsic(value)) {
      // Fn::If: check both branches
      const fnIf = (value as Record<string, unknown>)['Fn::If'];
      if (Array.isArray(fnIf)) {
        for (const branch of fnIf.slice(1)) {
          if (!(isIntrinsic(branch) && (branch as { Ref?: string }).Ref === 'AWS::NoValue'))
            checkValue(where, t, branch);
        }
      }
      return;
    }
    switch (t.type) {
      case 'string':
        if (typeof value !== 'string') problems.push(`${where}: expected a string, got ${JSON.stringify(value)}`);
        else if (t.allowedValues && !t.allowedValues.includes(value)) {
          problems.push(`${where}: "${value}" is not one of ${t.allowedValues.join(', ')}`);
        }
        return;
      case 'integer':
      case 'number':
        if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
          problems.push(`${where}: expected a number, got ${JSON.stringify(value)}`);
        }
        return;
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
          problems.push(`${where}: expected a boolean`);
        return;
      case 'array':
        if (!Array.isArray(value)) {
          problems.push(`${where}: expected a list`);
          return;
        }
        value.forEach((item, i) => checkValue(`${where}[${i}]`, t.element!, item));
        return;
      case 'map':
        if (typeof value !== 'object' || value === null) {
          problems.push(`${where}: expected a map`);
          return;
        }
        for (const [k, v] of Object.entries(value)) checkValue(`${where}.${k}`, t.element!, v);
        return;
      case 'ref': {
        const def = types.get(t.reference!.$ref);
        if (!def) return;
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          problems.push(`${where}: expected an object (${def.name})`);
          return;
        }
        checkProperties(where, def.properties, value as Record<string, unknown>);
        return;
      }
      case 'union': {
        const before = problems.length;
        for (const alt of t.types ?? []) {
          const mark = problems.length;
          checkValue(where, alt, value);
          if (problems.length === mark) {
            problems.length = before;
            return;
          }
          problems.length = mark;
        }
        problems.push(`${where}: matches none of the allowed types`);
        return;
      }
      default:
        return; // json, tag, date-time: free-form
    }
  };

  const checkProperties = (where: string, spec: Record<string, SpecProperty>, props: Record<string, unknown>): void => {
    for (const [name, p] of Object.entries(spec)) {
      if (p.required && !(name in props)) problems.push(`${where}: required property ${name} is missing`);
    }
    for (const [name, value] of Object.entries(props)) {
      const p = spec[name];
      if (!p) {
        problems.push(`${where}: unknown property ${name}`);
        continue;
      }
      checkValue(`${where}.${name}`, p.type, value);
    }
  };

  for (const [logicalId, res] of Object.entries(template.Resources)) {
    const spec = resources.get(res.Type);
    if (!spec) {
      problems.push(`${logicalId}: unknown resource type ${res.Type}`);
      continue;
    }
    checkProperties(logicalId, spec.properties, res.Properties ?? {});
  }
  return problems;
}
