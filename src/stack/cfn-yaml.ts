// CloudFormation YAML → plain JSON, with the short-form tags turned into their long form (!Ref X → {Ref: X},
// !GetAtt A.B → {"Fn::GetAtt": ["A", "B"]}, !Sub s → {"Fn::Sub": s}, …).
import { parse } from 'yaml';

const FN_TAGS = [
  'Sub',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'Base64',
  'Cidr',
  'GetAZs',
  'ImportValue',
];

function longForm(name: string, value: unknown): unknown {
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt') {
    if (typeof value === 'string') {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { 'Fn::GetAtt': value };
  }
  return { [`Fn::${name}`]: value };
}

const TAGS = ['Ref', 'Condition', 'GetAtt', ...FN_TAGS].flatMap((name) => [
  { tag: `!${name}`, resolve: (v: string) => longForm(name, v) },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (v: { toJSON(): unknown }) => longForm(name, v.toJSON()) },
  { tag: `!${name}`, collection: 'map' as const, resolve: (v: { toJSON(): unknown }) => longForm(name, v.toJSON()) },
]);

export function parseCfnYaml(text: string): Record<string, unknown> {
  return parse(text, { customTags: TAGS as never, maxAliasCount: 0 }) as Record<string, unknown>;
}
