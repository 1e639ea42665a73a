// Configuration from the environment, read once per cold start. Bad values never stop the function: they fall
// back to the safe default (enforce, restore, both directions) and are reported as warnings.
import { principalPatternProblem } from './decide.js';
import type { Action, Config, Direction } from './types.js';

type Env = Record<string, string | undefined>;

const TABLE_ARN = /^arn:[\w-]+:dynamodb:([a-z0-9-]+):\d{12}:table\/[\w.-]{3,255}$/;

function list(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function keyValue(
  name: string,
  value: string | undefined,
  warnings: string[],
): { key: string; value: string } | undefined {
  if (!value || value.trim() === '') return undefined;
  const at = value.indexOf('=');
  if (at <= 0) {
    warnings.push(`${name} must be key=value, got "${value}"; ignored`);
    return undefined;
  }
  return { key: value.slice(0, at).trim(), value: value.slice(at + 1).trim() };
}

/** every decision the function writes (src/config/schema.ts NOTIFY_ACTIONS lists the same for notifications.on) */
export const ACTIONS: readonly Action[] = [
  'reverted',
  'restored',
  'allowed',
  'monitored',
  'ignored',
  'failed',
  'approved',
  'expired',
  'forged',
  'refused',
];

/** One of the choices, or the first one (the default) with a warning. */
function choice<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  warnings: string[],
): T {
  const raw = (value ?? '').trim().toLowerCase();
  const known = choices.find((c) => c === raw);
  if (raw !== '' && !known) warnings.push(`${name} "${raw}" unknown; using ${choices[0]}`);
  return known ?? choices[0]!;
}

function whole(name: string, value: string | undefined, fallback: number, max: number, warnings: string[]): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0 && n <= max) return n;
  warnings.push(`${name} "${value}" is no whole number from 0 to ${max}; using ${fallback}`);
  return fallback;
}

export function loadConfig(env: Env): Config {
  const warnings: string[] = [];

  const rawMode = (env.GUARDRAIL_MODE ?? '').trim().toLowerCase();
  let mode: Config['mode'] = 'enforce';
  if (rawMode === 'monitor') mode = 'monitor';
  else if (rawMode !== '' && rawMode !== 'enforce') warnings.push(`GUARDRAIL_MODE "${rawMode}" unknown; using enforce`);

  const onModify = choice(
    'GUARDRAIL_ON_MODIFY',
    env.GUARDRAIL_ON_MODIFY,
    ['restore', 'revoke', 'alert'] as const,
    warnings,
  );
  const onModifyUnknown = choice(
    'GUARDRAIL_ON_MODIFY_UNKNOWN',
    env.GUARDRAIL_ON_MODIFY_UNKNOWN,
    ['alert', 'revoke-if-wider-than-before-unknown'] as const,
    warnings,
  );

  let directions: Direction[] = ['ingress', 'egress'];
  const rawDirections = list(env.GUARDRAIL_DIRECTIONS).map((d) => d.toLowerCase());
  if (rawDirections.length > 0) {
    const known = rawDirections.filter((d): d is Direction => d === 'ingress' || d === 'egress');
    if (known.length !== rawDirections.length)
      warnings.push(`GUARDRAIL_DIRECTIONS has unknown entries: ${rawDirections.join(',')}`);
    if (known.length > 0) directions = [...new Set(known)];
  }

  // approvals: a table ARN turns them on; anything but "keep" for a lookup error means the safe default, revert
  const table = env.GUARDRAIL_APPROVALS_TABLE?.trim();
  const arn = TABLE_ARN.exec(table ?? '');
  if (table && !arn) warnings.push(`GUARDRAIL_APPROVALS_TABLE "${table}" is no table ARN; approvals off`);
  const approvals: Config['approvals'] = arn
    ? {
        tableArn: table!,
        region: arn[1]!,
        onLookupError: env.GUARDRAIL_ON_LOOKUP_ERROR?.trim() === 'keep' ? 'keep' : 'revert',
      }
    : undefined;

  const rulesTable = env.GUARDRAIL_RULES_TABLE?.trim();
  const rulesArn = TABLE_ARN.exec(rulesTable ?? '');
  if (rulesTable && !rulesArn) warnings.push(`GUARDRAIL_RULES_TABLE "${rulesTable}" is no table ARN; no rule records`);

  const rawOn = list(env.GUARDRAIL_NOTIFY_ON);
  let notifyOn: Action[] = ACTIONS.filter((a) => a !== 'ignored');
  if (rawOn.length > 0) {
    const known = rawOn.filter((a): a is Action => (ACTIONS as string[]).includes(a));
    if (known.length !== rawOn.length) warnings.push(`GUARDRAIL_NOTIFY_ON has unknown actions: ${rawOn.join(',')}`);
    // failures and refusals are always notified: a notification list cannot make guardrail silent about them
    notifyOn = [...new Set<Action>([...known, 'failed', 'refused'])];
  }
  const queueUrl = env.GUARDRAIL_EVENT_QUEUE_URL?.trim();
  const queueArn = env.GUARDRAIL_EVENT_QUEUE_ARN?.trim();
  const deadLetterUrl = env.GUARDRAIL_DEAD_LETTER_QUEUE_URL?.trim();

  const topic = env.GUARDRAIL_NOTIFY_TOPIC_ARN?.trim();
  const self = env.GUARDRAIL_SELF_ROLE_ARN?.trim();
  const region = env.AWS_REGION?.trim();
  const allowPrincipals = list(env.GUARDRAIL_ALLOW_PRINCIPALS);
  // patterns that name only a session or federated name never match (decide.ts); say so on every invocation
  for (const w of allowPrincipals.map(principalPatternProblem)) if (w) warnings.push(w);
  for (const w of list(env.GUARDRAIL_PREFIX_LIST_PRINCIPALS).map(principalPatternProblem))
    if (w) warnings.push(`prefix lists: ${w}`);
  return {
    mode,
    allowPrincipals,
    exemptTag: keyValue('GUARDRAIL_EXEMPT_TAG', env.GUARDRAIL_EXEMPT_TAG, warnings),
    exemptGroups: list(env.GUARDRAIL_EXEMPT_GROUPS),
    onlyVpcs: list(env.GUARDRAIL_ONLY_VPCS),
    onlyTag: keyValue('GUARDRAIL_ONLY_TAG', env.GUARDRAIL_ONLY_TAG, warnings),
    onModify,
    onModifyUnknown,
    // guardrail's record of rule definitions, in the store's stack (TABLE-rules); deployed with approvals or onModify
    // restore
    rulesTable: rulesArn ? { tableArn: rulesTable!, region: rulesArn[1]! } : undefined,
    notifyTopicArn: topic ? topic : undefined,
    selfRoleArn: self ? self : undefined,
    directions,
    region: region ? region : undefined,
    approvals,
    notifyOn,
    queue: queueUrl && queueArn ? { url: queueUrl, arn: queueArn } : undefined,
    deadLetterQueue: deadLetterUrl ? { url: deadLetterUrl } : undefined,
    settleSeconds: whole('GUARDRAIL_SETTLE_SECONDS', env.GUARDRAIL_SETTLE_SECONDS, 30, 900, warnings),
    graceMinutes: whole('GUARDRAIL_LOOKUP_GRACE_MINUTES', env.GUARDRAIL_LOOKUP_GRACE_MINUTES, 60, 720, warnings),
    account: /^arn:[\w-]+:iam::(\d{12}):/.exec(self ?? '')?.[1],
    prefixLists: {
      principals: list(env.GUARDRAIL_PREFIX_LIST_PRINCIPALS),
      cidrs: list(env.GUARDRAIL_PREFIX_LIST_CIDRS),
      exempt: list(env.GUARDRAIL_PREFIX_LIST_EXEMPT),
    },
    onAssociate: choice('GUARDRAIL_ON_ASSOCIATE', env.GUARDRAIL_ON_ASSOCIATE, ['revert', 'report'] as const, warnings),
    warnings,
  };
}
