/**
 * The configuration file's shape (zod) and the fully resolved, typed configuration the commands use.
 * Every key in the file is optional; config/resolve.ts fills the gaps from DEFAULTS.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { REGION_NAMES, isRegionName } from './regions.js';
import { suggest } from './suggest.js';

// ---- shapes shared with flag validation (resolve.ts) ----------------------------------------------------------

export const ACCOUNT_ID = /^\d{12}$/;
/** An organizational unit or the organization root (Organizations' ParentId pattern). */
export const OU_ID = /^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/;
/** IAM role name (without a path). */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** sts:ExternalId: 2 to 1224 characters. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** sts:RoleSessionName. */
export const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** CloudFormation stack name. */
export const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
export const SECURITY_GROUP_ID = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const VPC_ID = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const PREFIX_LIST_ID = /^pl-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-eusc', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f'];
const PARTITION = `(${PARTITIONS.join('|')})`;
/** arn:PARTITION:(iam|sts)::ACCOUNT|*:REST, where `*` is a wildcard anywhere in the pattern. */
export const PRINCIPAL_PATTERN = new RegExp(`^arn:(${PARTITION.slice(1, -1)}|\\*):(iam|sts)::(\\d{12}|\\*):[^\\s,]+$`);
export const TOPIC_ARN = new RegExp(`^arn:${PARTITION}:sns:([a-z0-9-]+):(\\d{12}):[A-Za-z0-9_-]{1,256}(\\.fifo)?$`);
export const TAG_PAIR = /^([^=]{1,128})=(.{0,256})$/;
export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
export const PERCENT = /^(\d{1,3})%$/;

// ---- the resolved configuration -------------------------------------------------------------------------------

export type RegionsSetting = 'all' | string[];
/** null: attempt every target; a count: stop once more targets than this have failed; "N%": the same, as a share. */
export type FailureTolerance = null | number | `${number}%`;

export interface AccountEntry {
  id: string;
  name: string;
  regions?: RegionsSetting;
  roleName?: string;
  externalId?: string;
}

export interface GuardrailConfig {
  stackName: string;
  regions: RegionsSetting;
  organization: {
    roleName: string;
    externalId: string | null;
    sessionName: string;
    includeOUs: string[];
    excludeOUs: string[];
    excludeAccounts: string[];
    includeManagementAccount: boolean;
  };
  /** When non-empty, these are the accounts and Organizations is not asked. */
  accounts: AccountEntry[];
  trail: { mode: 'auto' | 'create' | 'existing'; homeRegion: string; retentionDays: number };
  policy: {
    mode: 'enforce' | 'monitor';
    directions: ('ingress' | 'egress')[];
    /** ModifySecurityGroupRules that widens a rule: put its previous definition back, revoke it, or only report it */
    onModify: 'restore' | 'revoke' | 'alert';
    /** restore, when neither guardrail's record nor AWS Config knows the previous definition */
    onModifyUnknown: 'alert' | 'revoke-if-wider-than-before-unknown';
    allowPrincipals: string[];
    exemptTag: string | null;
    exemptGroups: string[];
    onlyVpcs: string[];
    onlyTag: string | null;
    /**
     * seconds a change that a scope tag would exempt is held before it is decided (the tag's own event decides first)
     */
    settleSeconds: number;
    /**
     * customer-managed prefix lists of each account (issue N): entries added by anyone else, outside `cidrs`, are
     * undone by restoring the version before; `exempt` lists are left alone
     */
    prefixLists: { principals: string[]; cidrs: string[]; exempt: string[] };
    /**
     * AssociateSecurityGroupVpc of a group open to the world into an in-scope VPC: disassociate it, or only report it
     */
    onAssociate: 'revert' | 'report';
  };
  notifications: { email: string | null; topicArn: string | null; on: NotifyAction[] };
  /** The revert function: executions reserved for it (0: none, it shares the account's unreserved pool). */
  function: { reservedConcurrency: number };
  deploy: {
    concurrency: number;
    canary: number;
    failureTolerance: FailureTolerance;
    pollSeconds: number;
    engine: Engine;
  };
  /**
   * Time-boxed approvals (src/approvals/): the store's account and region (null: the management account,
   * trail.homeRegion).
   */
  approvals: {
    enabled: boolean;
    account: string | null;
    region: string | null;
    tableName: string;
    maxDuration: string;
    sweepMinutes: number;
    onLookupError: 'revert' | 'keep';
    /** onLookupError keep: minutes a rule is kept while the store cannot be read; then the change is decided again */
    lookupErrorGraceMinutes: number;
  };
  /** The stacksets engine's settings (deploy.engine: stacksets). */
  stacksets: StackSetsSettings;
  protection: {
    /** status: an account without the current guardrail SCP is unhealthy */
    required: boolean;
    /** stacks are created with termination protection, and deploy turns it back on */
    terminationProtection: boolean;
    /** more principals (ARN patterns) the SCP lets change guardrail, besides the deploy role */
    allowPrincipals: string[];
  };
}

export type Engine = 'direct' | 'stacksets';

/** The function's decisions that notifications.on can name. */
export const NOTIFY_ACTIONS = [
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
] as const;
export type NotifyAction = (typeof NOTIFY_ACTIONS)[number];

export interface StackSetsSettings {
  autoDeploy: boolean;
  retainStacksOnAccountRemoval: boolean;
  callAs: 'SELF' | 'DELEGATED_ADMIN';
  maxConcurrentPercentage: number;
  failureTolerancePercentage: number;
  concurrencyMode: 'SOFT_FAILURE_TOLERANCE' | 'STRICT_FAILURE_TOLERANCE';
  regionConcurrency: 'PARALLEL' | 'SEQUENTIAL';
  managedExecution: boolean;
}

export function defaultConfig(): GuardrailConfig {
  return {
    stackName: 'guardrail',
    regions: ['us-east-1', 'us-west-2'],
    organization: {
      roleName: 'OrganizationAccountAccessRole',
      externalId: null,
      sessionName: 'guardrail',
      includeOUs: [],
      excludeOUs: [],
      excludeAccounts: [],
      includeManagementAccount: true,
    },
    accounts: [],
    trail: { mode: 'auto', homeRegion: 'us-east-1', retentionDays: 365 },
    policy: {
      mode: 'enforce',
      directions: ['ingress', 'egress'],
      onModify: 'restore',
      onModifyUnknown: 'alert',
      allowPrincipals: [],
      exemptTag: 'guardrail:exempt=true',
      exemptGroups: [],
      onlyVpcs: [],
      onlyTag: null,
      settleSeconds: 30,
      prefixLists: { principals: [], cidrs: [], exempt: [] },
      onAssociate: 'revert',
    },
    notifications: { email: null, topicArn: null, on: NOTIFY_ACTIONS.filter((a) => a !== 'ignored') },
    function: { reservedConcurrency: RESERVED_CONCURRENCY_DEFAULT },
    deploy: { concurrency: 16, canary: 1, failureTolerance: null, pollSeconds: 5, engine: 'direct' },
    approvals: {
      enabled: false,
      account: null,
      region: null,
      tableName: 'guardrail-approvals',
      maxDuration: '7d',
      sweepMinutes: 5,
      onLookupError: 'revert',
      lookupErrorGraceMinutes: 60,
    },
    stacksets: {
      autoDeploy: true,
      retainStacksOnAccountRemoval: false,
      callAs: 'SELF',
      maxConcurrentPercentage: 25,
      failureTolerancePercentage: 10,
      concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
      regionConcurrency: 'PARALLEL',
      managedExecution: true,
    },
    protection: { required: false, terminationProtection: true, allowPrincipals: [] },
  };
}

/** How many failed targets a run tolerates before it stops starting new ones; Infinity when null. */
export function failureLimit(tolerance: FailureTolerance, totalTargets: number): number {
  if (tolerance === null) return Number.POSITIVE_INFINITY;
  if (typeof tolerance === 'number') return tolerance;
  const percent = Number(tolerance.slice(0, -1));
  return Math.floor((totalTargets * percent) / 100);
}

// ---- the file schema -------------------------------------------------------------------------------------------

function pattern(re: RegExp, what: string) {
  return z.string().refine((value) => re.test(value), { error: (iss) => `${what}, got ${show(iss.input)}` });
}

export const regionName = z.string().check((ctx) => {
  if (!isRegionName(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `unknown region ${JSON.stringify(ctx.value)}`,
      params: { didYouMean: suggest(ctx.value, REGION_NAMES) },
    });
  }
});

function uniqueList<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).check((ctx) => {
    const seen = new Map<string, number>();
    ctx.value.forEach((value, index) => {
      const first = seen.get(value);
      if (first === undefined) seen.set(value, index);
      else
        ctx.issues.push({
          code: 'custom',
          input: value,
          path: [index],
          message: `duplicate ${what} ${JSON.stringify(value)} (also item ${first + 1})`,
        });
    });
  });
}

const regionsSetting = z.union([z.literal('all'), uniqueList(regionName, 'region').min(1)], {
  error: 'expected "all" or a list of region names',
});
export const accountId = z.string().check((ctx) => {
  if (ACCOUNT_ID.test(ctx.value)) return;
  const digits = /^\d+$/.test(ctx.value) ? ` (${ctx.value.length} digits)` : '';
  ctx.issues.push({
    code: 'custom',
    input: ctx.value,
    message: `account id must be exactly 12 digits, got ${show(ctx.value)}${digits}`,
  });
});
/**
 * Principal patterns may name only what a caller cannot choose. A caller picks its session name (AssumeRole's
 * RoleSessionName) and a federated user's name (GetFederationToken's Name), so a pattern whose only specific part is
 * one of those would let anyone match it. The function matches role sessions by their issuer's role and never by a
 * federated name (lambda-bundle/src/decide.ts); the SCP's aws:PrincipalArn is a session's role ARN, never its sts
 * ARN, and a federated user's sts ARN, which carries the name the caller chose.
 */
export function principalPatternProblem(value: string, where: 'policy' | 'protection'): string | undefined {
  const m = /^arn:([^:]*):sts::([^:]*):([^/]*)\/?([^/]*)\/?(.*)$/.exec(value);
  if (m === null) return undefined;
  const [, partition = 'aws', account = '*', type = '', role = '', session = ''] = m;
  const wild = (s: string): boolean => /^\**$/.test(s);
  const acct = account === '*' ? '123456789012' : account;
  const rolePatterns = (name: string) =>
    `arn:${partition}:iam::${acct}:role/${name}` +
    (where === 'policy' ? ` or arn:${partition}:sts::${acct}:assumed-role/${name}/*` : '');
  if (type === 'federated-user') {
    return (
      `${show(value)} names a federated user, whose name the caller chooses (GetFederationToken): anyone who may ` +
      `call it could take the name. Allow the IAM user that federates instead (arn:${partition}:iam::${acct}:user/NAME)`
    );
  }
  if (type === 'assumed-role' && wild(role) && !wild(session)) {
    return (
      `${show(value)} names only a session, whose name the caller chooses (RoleSessionName): any role could take ` +
      `it. Name the role instead: ${rolePatterns(session.replace(/\*/g, '') || 'NAME')}`
    );
  }
  if (where === 'protection') {
    return (
      `${show(value)} is an sts ARN, but the SCP compares aws:PrincipalArn, which for a role session is the role's ` +
      `ARN: the pattern would never match. Use ${rolePatterns(type === 'assumed-role' && !wild(role) ? role : 'NAME')}`
    );
  }
  return undefined;
}

function principalPattern(where: 'policy' | 'protection', what: string) {
  return z.string().check((ctx) => {
    const message = !PRINCIPAL_PATTERN.test(ctx.value)
      ? `${what}, got ${show(ctx.value)}`
      : principalPatternProblem(ctx.value, where);
    if (message !== undefined) ctx.issues.push({ code: 'custom', input: ctx.value, message });
  });
}

const roleName = pattern(ROLE_NAME, 'role name must be 1-64 letters, digits or +=,.@_-');
const externalId = pattern(EXTERNAL_ID, 'external id must be 2-1224 letters, digits or +=,.@:/_-');
const ouId = pattern(OU_ID, 'expected an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)');
const tagPair = pattern(TAG_PAIR, 'expected "key=value"');

const topicArn = z.string().check((ctx) => {
  const match = TOPIC_ARN.exec(ctx.value);
  if (match === null) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `expected an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got ${show(ctx.value)}`,
    });
  } else if (!isRegionName(match[2] ?? '')) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `topic ARN names an unknown region ${JSON.stringify(match[2])}`,
      params: { didYouMean: suggest(match[2] ?? '', REGION_NAMES) },
    });
  }
});

const failureTolerance = z.union(
  [
    z.null(),
    z.number().int().min(0),
    z.string().refine((value) => {
      const match = PERCENT.exec(value);
      return match !== null && Number(match[1]) <= 100;
    }, 'expected null, a count such as 3, or a share such as "10%" (0-100%)'),
  ],
  { error: 'expected null, a count such as 3, or a share such as "10%" (0-100%)' },
);

export const accountEntrySchema = z.strictObject({
  id: accountId,
  name: z.string().min(1).max(50),
  regions: regionsSetting.optional(),
  roleName: roleName.optional(),
  externalId: externalId.optional(),
});

export const organizationSchema = z.strictObject({
  roleName: roleName.optional(),
  externalId: externalId.nullable().optional(),
  sessionName: pattern(SESSION_NAME, 'session name must be 2-64 letters, digits or +=,.@_-').optional(),
  includeOUs: uniqueList(ouId, 'OU id').optional(),
  excludeOUs: uniqueList(ouId, 'OU id').optional(),
  excludeAccounts: uniqueList(accountId, 'account id').optional(),
  includeManagementAccount: z.boolean().optional(),
});

export const trailSchema = z.strictObject({
  mode: z.enum(['auto', 'create', 'existing']).optional(),
  homeRegion: regionName.optional(),
  retentionDays: z.number().int().min(1).max(3653).optional(),
});

/** An IPv4 or IPv6 CIDR (the address and the prefix length checked by Node's own parser). */
export function cidrProblem(value: string): string | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(value);
  const family = m ? isIP(m[1]!) : 0;
  if (!m || family === 0) return `expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32, got ${show(value)}`;
  const max = family === 6 ? 128 : 32;
  if (Number(m[2]) > max) return `prefix length /${m[2]} is more than ${max}, in ${show(value)}`;
  if (Number(m[2]) === 0)
    return `${show(value)} is the whole internet: an allowance for it would let anyone open every rule that references a list`;
  return undefined;
}

const cidr = z.string().check((ctx) => {
  const message = cidrProblem(ctx.value);
  if (message !== undefined) ctx.issues.push({ code: 'custom', input: ctx.value, message });
});

export const prefixListsSchema = z.strictObject({
  principals: uniqueList(
    principalPattern('policy', 'expected an IAM/STS ARN pattern such as arn:aws:iam::*:role/Network*'),
    'principal',
  ).optional(),
  cidrs: uniqueList(cidr, 'CIDR').optional(),
  exempt: uniqueList(pattern(PREFIX_LIST_ID, 'expected a prefix list id (pl-…)'), 'prefix list').optional(),
});

/** Bytes of policy lists the function's environment can carry (Lambda's 4 KB limit, less the other variables). */
export const POLICY_ENV_BUDGET = 3500;

export const policySchema = z
  .strictObject({
    mode: z.enum(['enforce', 'monitor']).optional(),
    directions: uniqueList(z.enum(['ingress', 'egress']), 'direction')
      .min(1)
      .optional(),
    onModify: z.enum(['restore', 'revoke', 'alert']).optional(),
    onModifyUnknown: z.enum(['alert', 'revoke-if-wider-than-before-unknown']).optional(),
    allowPrincipals: z
      .array(principalPattern('policy', 'expected an IAM/STS ARN pattern such as arn:aws:iam::*:role/Admin*'))
      .optional(),
    exemptTag: tagPair.nullable().optional(),
    exemptGroups: uniqueList(pattern(SECURITY_GROUP_ID, 'expected a security group id (sg-…)'), 'group').optional(),
    onlyVpcs: uniqueList(pattern(VPC_ID, 'expected a VPC id (vpc-…)'), 'VPC').optional(),
    onlyTag: tagPair.nullable().optional(),
    settleSeconds: z.number().int().min(0).max(900).optional(),
    prefixLists: prefixListsSchema.optional(),
    onAssociate: z.enum(['revert', 'report']).optional(),
  })
  .check((ctx) => {
    // The policy reaches the function as environment variables, and Lambda allows 4 KB of them in all; the rest of
    // the environment (role and topic ARNs, modes) takes about 500 bytes.
    const p = ctx.value;
    const pl = p.prefixLists ?? {};
    const size =
      [p.allowPrincipals, p.exemptGroups, p.onlyVpcs, pl.principals, pl.cidrs, pl.exempt].reduce(
        (n, list) => n + (list ?? []).join(',').length,
        0,
      ) +
      (p.exemptTag ?? '').length +
      (p.onlyTag ?? '').length;
    if (size > POLICY_ENV_BUDGET) {
      ctx.issues.push({
        code: 'custom',
        input: p,
        message:
          `allowPrincipals, exemptGroups, onlyVpcs, prefixLists and the tags take ${size} bytes; the function's environment ` +
          `holds ${POLICY_ENV_BUDGET} (Lambda allows 4 KB in all). Use wildcards (arn:aws:iam::*:role/Net*) or fewer ids`,
      });
    }
  });

export const notificationsSchema = z.strictObject({
  email: pattern(EMAIL, 'expected an email address').nullable().optional(),
  topicArn: topicArn.nullable().optional(),
  on: uniqueList(z.enum(NOTIFY_ACTIONS), 'action').optional(),
});

/**
 * Reserved concurrency. 5 is Lambda's first five concurrent batches of an SQS mapping, which the mapping is then held
 * to (ScalingConfig.MaximumConcurrency, whose least value is 2). 0 reserves nothing: Lambda keeps at least 100 of an
 * account's concurrency unreserved, so an account with a small quota (new accounts can have 10) cannot reserve any.
 */
export const RESERVED_CONCURRENCY_DEFAULT = 5;
export const RESERVED_CONCURRENCY_MAX = 1000;

export const functionSchema = z.strictObject({
  reservedConcurrency: z
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 2 && n <= RESERVED_CONCURRENCY_MAX), {
      error: (iss) =>
        `expected 0 (unreserved) or a whole number from 2 to ${RESERVED_CONCURRENCY_MAX}, got ${show(iss.input)}`,
    })
    .optional(),
});

export const deploySchema = z.strictObject({
  concurrency: z.number().int().min(1).max(1000).optional(),
  canary: z.number().int().min(0).optional(),
  failureTolerance: failureTolerance.optional(),
  pollSeconds: z.number().min(1).max(300).optional(),
  engine: z.enum(['direct', 'stacksets']).optional(),
});

export const stacksetsSchema = z.strictObject({
  autoDeploy: z.boolean().optional(),
  retainStacksOnAccountRemoval: z.boolean().optional(),
  callAs: z.enum(['SELF', 'DELEGATED_ADMIN']).optional(),
  // StackSets' own ranges: MaxConcurrentPercentage 1-100, FailureTolerancePercentage 0-100
  maxConcurrentPercentage: z.number().int().min(1).max(100).optional(),
  failureTolerancePercentage: z.number().int().min(0).max(100).optional(),
  concurrencyMode: z.enum(['SOFT_FAILURE_TOLERANCE', 'STRICT_FAILURE_TOLERANCE']).optional(),
  regionConcurrency: z.enum(['PARALLEL', 'SEQUENTIAL']).optional(),
  managedExecution: z.boolean().optional(),
});

export const protectionSchema = z.strictObject({
  required: z.boolean().optional(),
  terminationProtection: z.boolean().optional(),
  allowPrincipals: uniqueList(
    principalPattern('protection', 'expected an IAM ARN pattern such as arn:aws:iam::*:role/BreakGlass'),
    'principal',
  ).optional(),
});

/** A duration: a whole number of minutes, hours or days (90m, 4h, 7d). */
export const DURATION = /^([1-9]\d{0,5})([mhd])$/;
/** DynamoDB table names. */
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export const approvalsSchema = z.strictObject({
  enabled: z.boolean().optional(),
  account: accountId.nullable().optional(),
  region: regionName.nullable().optional(),
  tableName: pattern(TABLE_NAME, 'table name must be 3-255 letters, digits or _.-').optional(),
  maxDuration: pattern(DURATION, 'expected a duration such as 90m, 4h or 7d').optional(),
  sweepMinutes: z.number().int().min(1).max(1440).optional(),
  onLookupError: z.enum(['revert', 'keep']).optional(),
  lookupErrorGraceMinutes: z.number().int().min(1).max(720).optional(),
});

export const configFileSchema = z.strictObject({
  stackName: pattern(
    STACK_NAME,
    'stack name must start with a letter; letters, digits and - only; 128 at most',
  ).optional(),
  regions: regionsSetting.optional(),
  organization: organizationSchema.optional(),
  accounts: z.array(accountEntrySchema).optional(),
  trail: trailSchema.optional(),
  policy: policySchema.optional(),
  notifications: notificationsSchema.optional(),
  function: functionSchema.optional(),
  deploy: deploySchema.optional(),
  approvals: approvalsSchema.optional(),
  stacksets: stacksetsSchema.optional(),
  protection: protectionSchema.optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** The keys each mapping accepts, by path pattern ('' is the top level, `[]` any list index): for "did you mean". */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(configFileSchema.shape),
  organization: Object.keys(organizationSchema.shape),
  'accounts[]': Object.keys(accountEntrySchema.shape),
  trail: Object.keys(trailSchema.shape),
  policy: Object.keys(policySchema.shape),
  'policy.prefixLists': Object.keys(prefixListsSchema.shape),
  notifications: Object.keys(notificationsSchema.shape),
  function: Object.keys(functionSchema.shape),
  deploy: Object.keys(deploySchema.shape),
  approvals: Object.keys(approvalsSchema.shape),
  stacksets: Object.keys(stacksetsSchema.shape),
  protection: Object.keys(protectionSchema.shape),
};

/** Paths whose values are always strings, even when YAML reads a number there (account ids, names, external ids). */
export const STRING_PATHS: readonly string[] = [
  'stackName',
  'organization.roleName',
  'organization.externalId',
  'organization.sessionName',
  'organization.excludeAccounts[]',
  'accounts[].id',
  'accounts[].name',
  'accounts[].roleName',
  'accounts[].externalId',
  'approvals.account',
  'approvals.tableName',
  'approvals.maxDuration',
];

export function show(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}
