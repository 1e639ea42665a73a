// Rendering the CloudFormation template: parameter defaults from the configuration, the function's code inlined
// into Code.ZipFile, and a version that is a hash of the rendered template (kept as a parameter, output and tag).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMap, parseDocument, Scalar, visit, type Document } from 'yaml';
import { packFunctionCode } from './packed-code.js';
import { substituteInSubs } from './sub.js';
import type { GuardrailConfig } from '../config/index.js';
import { RESERVED_CONCURRENCY_DEFAULT } from '../config/schema.js';

/** The configuration values that shape the template: the policy, where to notify, and the trail. */
export type TemplateSettings = Omit<
  GuardrailConfig['policy'],
  'settleSeconds' | 'onModifyUnknown' | 'prefixLists' | 'onAssociate'
> & {
  settleSeconds?: number;
  prefixLists?: GuardrailConfig['policy']['prefixLists'];
  onAssociate?: GuardrailConfig['policy']['onAssociate'];
  onModifyUnknown?: GuardrailConfig['policy']['onModifyUnknown'];
  notificationEmail: string | null;
  notificationTopicArn: string | null;
  /** the default of the CreateTrail parameter; deploy decides it per account in `auto` mode */
  createTrail: boolean;
  homeRegion: string;
  trailRetentionDays: number;
  /** approvals: the store's table ARN (unset or null: approvals off), what to do when it is unreadable, the sweep */
  approvalsTableArn?: string | null;
  /** guardrail's record of rule definitions (the store stack's TABLE-rules; unset or null: none) */
  ruleRecordsTableArn?: string | null;
  onLookupError?: 'revert' | 'keep';
  sweepSchedule?: string;
  lookupGraceMinutes?: number;
  /** the decisions that are notified (the function adds failed and refused) */
  notifyOn?: string[];
  /** function.reservedConcurrency (0: unreserved); the event source mapping is held to it */
  reservedConcurrency?: number;
};

export interface RenderOptions {
  /**
   * values for Sub variables, put into every Fn::Sub's string before anything else (a Sub left with no `${…}` becomes
   * the plain string); the stack set's template sets AWS::StackName. Unset (the direct engine): the document is not
   * touched.
   */
  subValues?: Readonly<Record<string, string>>;
}

export interface RenderedTemplate {
  body: string;
  version: string;
  bytes: number;
  /**
   * a digest of the configuration's settings that shape the template (the parameter defaults), kept on every stack
   * as the SETTINGS_TAG: status tells "run with another configuration" from "deployed code or template is older"
   */
  settingsDigest: string;
  /** the parameter defaults the configuration gave (what a settings change changes: stack/setting-changes.ts) */
  defaults: Record<string, string>;
}

/**
 * CloudFormation's limit for TemplateBody, and its limit for the object TemplateURL names (1 MB: "The URL must point
 * to a template (max size: 1 MB) that's located in an Amazon S3 bucket", CreateStack/CreateChangeSet/CreateStackSet).
 * deploy sends every template as TemplateURL (stack/template-bucket.ts), so TemplateBody's 51,200 no longer binds;
 * only `deploy --plan`'s preview of an update, where the bucket does not exist yet (--plan creates none), falls back
 * to TemplateBody and then previews nothing past it.
 *
 * The budget: 40,000, then 44,000 (approvals, issue 12; the decision log line, issue 14), then 50,000 (restore,
 * issue M; retry, issue O: 49,087 bytes), under TemplateBody's limit. With TemplateURL, 100,000: a tenth of the
 * 1 MB, about twice today's template. Not more, because what binds next is not S3: the template's readers (the
 * CloudFormation console and `guardrail template`, a reviewer reading a diff), the stack set's drift and template
 * views, and what the function's code may carry (its environment, set from the parameters, is capped by Lambda at
 * 4 KB in all, so growth goes into code, which is inlined here). A template growing past 100,000 should split the
 * code out of it (an S3 code object) rather than raise this again.
 */
export const TEMPLATE_BODY_LIMIT = 51_200;
export const TEMPLATE_URL_OBJECT_LIMIT = 1_048_576;
export const TEMPLATE_BUDGET = 100_000;
export const VERSION_TAG = 'guardrail:version';
/** the tag holding the settings digest (a stack set's tags are its instances' tags, so both engines carry it) */
export const SETTINGS_TAG = 'guardrail:settings';
const CODE_PLACEHOLDER = '__GUARDRAIL_FUNCTION_CODE__';

/** Retention values CloudWatch Logs accepts; the function's log group takes the nearest at or above the trail's. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function logRetentionFor(days: number): number {
  return LOG_RETENTION_DAYS.find((d) => d >= days) ?? 3653;
}

const INTRINSIC_TAGS = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Condition',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'Base64',
  'Cidr',
  'GetAZs',
  'ImportValue',
];

/** YAML tags for CloudFormation's short-form intrinsics, kept as they are when the document is written back. */
export const CFN_YAML_TAGS = INTRINSIC_TAGS.flatMap((name) => [
  { tag: `!${name}`, resolve: (v: unknown) => v, identify: (): boolean => false },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (v: unknown) => v, identify: (): boolean => false },
  { tag: `!${name}`, collection: 'map' as const, resolve: (v: unknown) => v, identify: (): boolean => false },
]);

function templateUrl(): URL {
  return new URL('../../templates/guardrail.yaml', import.meta.url);
}

function bundleUrl(): URL {
  return new URL('../../lambda-bundle/dist/index.js', import.meta.url);
}

export async function loadTemplateSource(): Promise<string> {
  return readFile(templateUrl(), 'utf8');
}

export async function loadFunctionCode(): Promise<string> {
  try {
    return await readFile(bundleUrl(), 'utf8');
  } catch (err) {
    throw new Error(
      `The revert function is not built (${bundleUrl().pathname} is missing). Run \`npm run build\` first.`,
      { cause: err },
    );
  }
}

/** The settings digest: the parameter defaults, sorted by name, hashed (16 hex digits, like the version). */
export function settingsDigest(s: TemplateSettings): string {
  const defaults = parameterDefaults(s);
  const canonical = Object.keys(defaults)
    .sort()
    .map((k) => [k, defaults[k]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

export function parameterDefaults(s: TemplateSettings): Record<string, string> {
  const dirs = (['ingress', 'egress'] as const).filter((d) => s.directions.includes(d));
  return {
    Mode: s.mode,
    Directions: dirs.join(','),
    OnModify: s.onModify,
    OnModifyUnknown: s.onModifyUnknown ?? 'alert',
    AllowPrincipals: s.allowPrincipals.join(','),
    ExemptTag: s.exemptTag ?? '',
    ExemptGroups: s.exemptGroups.join(','),
    OnlyVpcs: s.onlyVpcs.join(','),
    OnlyTag: s.onlyTag ?? '',
    NotificationEmail: s.notificationEmail ?? '',
    NotificationTopicArn: s.notificationTopicArn ?? '',
    CreateTrail: s.createTrail ? 'true' : 'false',
    HomeRegion: s.homeRegion,
    TrailRetentionDays: String(s.trailRetentionDays),
    LogRetentionDays: String(logRetentionFor(s.trailRetentionDays)),
    ApprovalsTableArn: s.approvalsTableArn ?? '',
    RuleRecordsTableArn: s.ruleRecordsTableArn ?? '',
    OnLookupError: s.onLookupError ?? 'revert',
    SweepSchedule: s.sweepSchedule ?? 'rate(5 minutes)',
    NotifyOn: (
      s.notifyOn ?? [
        'reverted',
        'restored',
        'allowed',
        'monitored',
        'failed',
        'approved',
        'expired',
        'forged',
        'refused',
      ]
    ).join(','),
    SettleSeconds: String(s.settleSeconds ?? 30),
    LookupGraceMinutes: String(s.lookupGraceMinutes ?? 60),
    ReservedConcurrency: String(s.reservedConcurrency ?? RESERVED_CONCURRENCY_DEFAULT),
    PrefixListPrincipals: (s.prefixLists?.principals ?? []).join(','),
    PrefixListCidrs: (s.prefixLists?.cidrs ?? []).join(','),
    PrefixListExempt: (s.prefixLists?.exempt ?? []).join(','),
    OnAssociate: s.onAssociate ?? 'revert',
  };
}

/**
 * Renders the template. The version hashes the whole rendered body (code and parameter defaults included), so any
 * change to the configuration's policy, the template or the function gives a new version.
 */
export function renderTemplate(
  source: string,
  code: string,
  settings: TemplateSettings,
  options: RenderOptions = {},
): RenderedTemplate {
  const doc = parseDocument(source, { customTags: CFN_YAML_TAGS });
  if (doc.errors.length > 0) throw new Error(`templates/guardrail.yaml is not valid YAML: ${doc.errors[0]!.message}`);
  if (options.subValues) substituteInSubs(doc, options.subValues);
  for (const [name, value] of Object.entries(parameterDefaults(settings))) {
    setParameterDefault(doc, name, value);
  }
  const zip = doc.getIn(['Resources', 'RevertFunction', 'Properties', 'Code', 'ZipFile']);
  if (zip !== CODE_PLACEHOLDER) throw new Error('templates/guardrail.yaml has lost the function code placeholder');
  const codeNode = new Scalar(packFunctionCode(code.trimEnd()));
  codeNode.type = Scalar.BLOCK_LITERAL;
  doc.setIn(['Resources', 'RevertFunction', 'Properties', 'Code', 'ZipFile'], codeNode);

  stripForCloudFormation(doc);
  setParameterDefault(doc, 'GuardrailVersion', 'unversioned');
  const unversioned = doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq: false });
  const version = createHash('sha256').update(unversioned).digest('hex').slice(0, 16);
  setParameterDefault(doc, 'GuardrailVersion', version);
  const body = doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq: false });
  return {
    body,
    version,
    bytes: Buffer.byteLength(body, 'utf8'),
    settingsDigest: settingsDigest(settings),
    defaults: parameterDefaults(settings),
  };
}

/**
 * The rendered template carries what CloudFormation acts on; the comments and the descriptions of parameters and
 * outputs stay in templates/guardrail.yaml for its readers. Dropping them keeps about 2 KB of the TemplateBody budget
 * for the inlined function (guardrail sets every parameter itself, so no console wizard shows the descriptions).
 */
function stripForCloudFormation(doc: Document): void {
  doc.commentBefore = null;
  doc.comment = null;
  visit(doc, {
    Node(_key, node) {
      node.commentBefore = null;
      node.comment = null;
    },
    Pair(_key, pair) {
      if (pair.key && typeof pair.key === 'object') Object.assign(pair.key, { commentBefore: null, comment: null });
    },
  });
  for (const section of ['Parameters', 'Outputs']) {
    const entries = doc.get(section);
    if (isMap(entries)) for (const e of entries.items) if (isMap(e.value)) e.value.delete('Description');
  }
}

function setParameterDefault(doc: Document, name: string, value: string): void {
  if (!doc.hasIn(['Parameters', name])) throw new Error(`templates/guardrail.yaml has no parameter ${name}`);
  const type = doc.getIn(['Parameters', name, 'Type']);
  // keep Number parameters as numbers, and quote strings that YAML would read as something else
  const node = new Scalar(type === 'Number' ? Number(value) : value);
  if (type !== 'Number') node.type = Scalar.QUOTE_SINGLE;
  doc.setIn(['Parameters', name, 'Default'], node);
}
