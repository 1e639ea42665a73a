/**
 * The command registry: each command's name, one-line summary and options, declared `as const` so that each
 * command's options type is derived from its flags (CommandOptions<'deploy'>, below). Adding a command means one
 * entry here, its loader in load.ts (which imports its module only when it runs) and one file next to this one.
 * Keep this file free of heavy imports, and of the command modules: `guardrail --help` loads it, and the commands
 * import their options type from it.
 */

export type { CliIO, Writer } from '../io.js';
export type { CommandContext, CommandModule, GlobalOptions } from './context.js';

export interface OptionSpec {
  /** commander flags, e.g. `--config <file>`. */
  flags: string;
  description: string;
  /** commander rejects any other value (cli.ts: `.choices()`); the derived type is their union */
  choices?: readonly string[];
  defaultValue?: string;
}

export interface CommandSpec {
  name: string;
  /** One line for `guardrail --help`. */
  summary: string;
  description: string;
  options: readonly OptionSpec[];
  /** positional arguments, for the usage line (e.g. `[revoke ID]`); they arrive as options.args */
  arguments?: string;
}

export const CONFIG_OPTION = {
  flags: '--config <file>',
  description: 'configuration file (default: ./accounts.yaml)',
} as const satisfies OptionSpec;

/** Flags that override settings of the configuration file (config/resolve.ts checks them). */
export const OVERRIDE_OPTIONS = [
  { flags: '--regions <list>', description: 'comma-separated regions, or "all" (overrides regions)' },
  { flags: '--concurrency <n>', description: 'targets worked on at once, 1-1000 (overrides deploy.concurrency)' },
  {
    flags: '--failure-tolerance <n|n%>',
    description: 'failed targets tolerated before stopping, a count or a share (overrides deploy.failureTolerance)',
  },
  { flags: '--role-name <name>', description: 'role to assume in each account (overrides organization.roleName)' },
  { flags: '--external-id <id>', description: 'external id for AssumeRole (overrides organization.externalId)' },
] as const satisfies readonly OptionSpec[];

export const ENGINE_OPTION = {
  flags: '--engine <engine>',
  description: 'direct (one stack per account and region from here) or stacksets (overrides deploy.engine)',
  choices: ['direct', 'stacksets'],
} as const satisfies OptionSpec;

export const OUTPUT_OPTION = {
  flags: '--output <format>',
  description: 'result format',
  choices: ['table', 'json'],
  defaultValue: 'table',
} as const satisfies OptionSpec;

/** `options` without the flag that starts with `flag`, typed without it too. */
function without<const O extends readonly OptionSpec[], const F extends string>(options: O, flag: F) {
  return options.filter((o): o is Exclude<O[number], { flags: `${F}${string}` }> => !o.flags.startsWith(flag));
}

/** The registry with every flag's literal type, for the types below; COMMANDS is the same list. */
const REGISTRY = [
  {
    name: 'validate',
    summary: 'check the configuration, print the effective settings',
    description:
      'Load and check the configuration file without touching AWS, then print the effective settings and where ' +
      'each came from (default, file or flag). Exits 2 when the file or a flag is invalid.',
    options: [CONFIG_OPTION, ...OVERRIDE_OPTIONS, OUTPUT_OPTION],
  },
  {
    name: 'deploy',
    summary: 'roll the guardrail stack out to every account and region',
    description:
      'Discover the accounts, plan every account × region target (create, update, none), deploy a canary, then ' +
      'the rest in a sliding window. --plan shows the plan and changes nothing. Exits 1 when a target failed.',
    options: [
      { flags: '--all-accounts', description: 'every ACTIVE account of the organisation (or of the accounts list)' },
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      CONFIG_OPTION,
      ...OVERRIDE_OPTIONS,
      { flags: '--plan', description: 'print the plan (with change-set summaries for updates) and change nothing' },
      {
        flags: '--verbose',
        description: 'with --plan: every target and its resource changes, not one line per reason',
      },
      { flags: '--yes', description: 'do not ask for confirmation (required without a terminal)' },
      ENGINE_OPTION,
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'status',
    summary: 'check each account and region: deployed, current, drift',
    description:
      'Check every account × region target: is the stack deployed and current, does the function run the current ' +
      'code, is the rule enabled, and has anyone changed the resources (drift). Exits 1 when any target is unhealthy.',
    options: [
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      CONFIG_OPTION,
      ...without(OVERRIDE_OPTIONS, '--failure-tolerance'),
      { flags: '--no-drift', description: 'skip drift detection and the shared prefix lists, for a fast survey' },
      {
        flags: '--all',
        description: 'list every account in the table (on a terminal, healthy accounts beyond one screen are counted)',
      },
      ENGINE_OPTION,
      {
        flags: '--require-protection',
        description: 'an account the guardrail SCP does not protect is unhealthy (overrides protection.required)',
      },
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'remove',
    summary: 'delete the stacks (the trail bucket and its logs stay)',
    description:
      'Delete the guardrail stacks of the chosen accounts, in all configured regions or --regions. The trail ' +
      'bucket is retained and named in the output, so the audit logs are never lost.',
    options: [
      { flags: '--all-accounts', description: 'every account of the organisation (or of the accounts list)' },
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      CONFIG_OPTION,
      ...without(OVERRIDE_OPTIONS, '--failure-tolerance'),
      {
        flags: '--include-approvals',
        description:
          "with --all-accounts: also delete the approval store's stack (its tables are kept), after its own confirmation",
      },
      { flags: '--yes', description: 'do not ask for confirmation (required without a terminal)' },
      ENGINE_OPTION,
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'retry',
    summary: 'retry the reverts that failed (the dead-letter queues)',
    description:
      "Read each target's dead-letter queue (what status counts as pendingReverts), confirm, then ask each function " +
      "with events waiting to take them from its own queue and decide each again on the group's current state: a " +
      'rule still open is reverted now, one already gone is ignored. Exits 1 when a target failed or still has events ' +
      'not undone.',
    options: [
      { flags: '--all-accounts', description: 'every account of the organisation (or of the accounts list)' },
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      CONFIG_OPTION,
      ...without(OVERRIDE_OPTIONS, '--failure-tolerance'),
      { flags: '--yes', description: 'do not ask for confirmation (required without a terminal)' },
      ENGINE_OPTION,
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'baseline',
    summary: 'record the rules there now, to restore modified ones to',
    description:
      'Read the rules of every security group in each target (with the same roles, pool and progress as status) and ' +
      "record them in the store stack's rule records table (TABLE-rules), after one confirmation: when a rule is " +
      'later modified, the revert function restores it to its recorded definition. A record the function made later ' +
      'is never replaced; run it again at any time. Exits 1 when a target failed.',
    options: [
      { flags: '--all-accounts', description: 'every account of the organisation (or of the accounts list)' },
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      CONFIG_OPTION,
      ...without(OVERRIDE_OPTIONS, '--failure-tolerance'),
      { flags: '--yes', description: 'do not ask for confirmation (required without a terminal)' },
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'approve',
    summary: 'approve rules on one security group for a limited time',
    description:
      'Record a time-boxed approval in the approval store: the revert function then keeps the rules it contains on ' +
      'that group until the approval expires (or is revoked), and the sweep removes them afterwards. RULE is ' +
      '"PROTOCOL/PORT[-PORT] SOURCE [ingress|egress]", e.g. "tcp/443 203.0.113.0/24". Needs approvals.enabled.',
    options: [
      { flags: '--account <id>', description: 'the account of the group (in the organisation)' },
      { flags: '--region <region>', description: 'the region of the group' },
      { flags: '--group <sg-id>', description: 'the security group' },
      { flags: '--rule <rule...>', description: 'a rule to approve; repeat for more' },
      { flags: '--for <duration>', description: 'how long, e.g. 90m, 4h, 2d (at most approvals.maxDuration)' },
      { flags: '--reason <text>', description: 'why (recorded, listed and notified)' },
      CONFIG_OPTION,
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'approvals',
    summary: 'list approvals, or end one early: approvals revoke ID',
    description:
      'List the active approvals in the approval store (with --all, also expired and revoked ones). ' +
      '`guardrail approvals revoke ID --reason TEXT` ends an approval now; the next sweep removes the rules it kept.',
    arguments: '[revoke ID]',
    options: [
      { flags: '--all', description: 'also expired and revoked approvals' },
      { flags: '--account <id>', description: 'only approvals for this account' },
      { flags: '--reason <text>', description: 'revoke: why it ends early' },
      CONFIG_OPTION,
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'activity',
    summary: 'what the functions decided, and who made the changes',
    description:
      "Read every target's decision log (the function's CloudWatch log group) for a time window, through the same " +
      'roles as status. Rows come newest first, then a summary by action, by account and the top principals. ' +
      "Exits 1 only when a target's logs could not be read, never because changes were reverted.",
    options: [
      {
        flags: '--since <when>',
        description: 'start of the window: a duration back from now (24h, 7d) or an ISO time',
        defaultValue: '24h',
      },
      { flags: '--until <when>', description: 'end of the window (default: now)' },
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      {
        flags: '--action <list>',
        description: 'only these actions (comma-separated: reverted,failed,allowed,monitored,…)',
      },
      {
        flags: '--principal <pattern>',
        description: 'only changes by principals matching this ARN pattern (* matches anything)',
      },
      CONFIG_OPTION,
      ...without(OVERRIDE_OPTIONS, '--failure-tolerance'),
      { ...OUTPUT_OPTION, choices: ['table', 'json', 'csv'] },
    ],
  },
  {
    name: 'report',
    summary: 'write one HTML page for auditors: health and activity',
    description:
      'Inspect every target as status does and read the decision logs as activity does, then write one HTML page ' +
      '(no scripts, no network fetches, printable) for auditors. --out - writes it to stdout. Exits 1 when a target ' +
      'is unhealthy or its logs could not be read; the page is written either way.',
    options: [
      { flags: '--out <file>', description: 'where to write the page (- for stdout)' },
      {
        flags: '--since <when>',
        description: 'start of the activity window (30d, 24h, or an ISO time)',
        defaultValue: '30d',
      },
      { flags: '--account <ids>', description: 'only these accounts (comma-separated ids)' },
      CONFIG_OPTION,
      ...without(OVERRIDE_OPTIONS, '--failure-tolerance'),
      { flags: '--no-drift', description: 'skip drift detection' },
    ],
  },
  {
    name: 'protect',
    summary: 'the SCP that keeps member admins from disabling guardrail',
    description:
      'Render the guardrail-protect service control policy for this configuration (a Deny on disabling, editing or ' +
      "deleting guardrail's resources, except for the deploy role). Plain protect prints it; --plan shows what " +
      'attaching would change; --attach enables SCPs if needed, creates or updates the policy and attaches it to the ' +
      'root (or includeOUs, or the listed accounts). Exits 2 when it cannot be done whole, with nothing attached.',
    options: [
      CONFIG_OPTION,
      { flags: '--plan', description: 'show what attaching would change, and change nothing' },
      { flags: '--attach', description: 'create or update the policy and attach it where the configuration targets' },
      {
        flags: '--detach',
        description: 'detach guardrail-protect from where it is attached and delete it (with --plan: only show that)',
      },
      { flags: '--yes', description: 'do not ask for confirmation (required without a terminal)' },
      OUTPUT_OPTION,
    ],
  },
  {
    name: 'template',
    summary: 'print the CloudFormation template that deploy sends',
    description:
      'Print the template exactly as deploy sends it (parameter defaults from the configuration, the revert ' +
      'function inlined, the version hash), so you can review it or feed it to your own linters.',
    options: [
      CONFIG_OPTION,
      { flags: '--region <region>', description: 'say which parameters deploy passes in this region' },
      ENGINE_OPTION,
    ],
  },
] as const satisfies readonly CommandSpec[];

export const COMMANDS: readonly CommandSpec[] = REGISTRY;

export type CommandName = (typeof REGISTRY)[number]['name'];
type SpecOf<N extends CommandName> = Extract<(typeof REGISTRY)[number], { name: N }>;

/** What a command's `context.options` holds for its flags: what commander parses from them. */
export type CommandOptions<N extends CommandName> = OptionsOf<SpecOf<N>['options']>;

/** What cli.ts hands a command: the options of its flags, and `args` when it declares positional arguments. */
export type SuppliedOptions<N extends CommandName> = CommandOptions<N> &
  (SpecOf<N> extends { arguments: string } ? { args: string[] } : unknown);

// ---- from flags to types, the way commander names and fills them

/** `-y, --yes` → `--yes` */
type LongFlags<F extends string> = F extends `-${string}, ${infer Long}` ? Long : F;
/** `--config <file>` → `--config`; `--plan` → `--plan` */
type FlagName<F extends string> = LongFlags<F> extends `${infer Name} ${string}` ? Name : LongFlags<F>;
/** `--config <file>` → `<file>`; `--plan` → `` */
type FlagValue<F extends string> = LongFlags<F> extends `${string} ${infer Value}` ? Value : '';
/** commander's attribute name: `--all-accounts` → `allAccounts`, `--no-drift` → `drift` */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
type Key<F extends string> =
  FlagName<F> extends `--no-${infer Name}` ? Camel<Name> : FlagName<F> extends `--${infer Name}` ? Camel<Name> : never;

/** One value: a choice when the option lists them. */
type Scalar<O extends OptionSpec> = O extends { choices: readonly (infer C extends string)[] } ? C : string;

/**
 * `<x>` a value, `<x...>` one or more, `[x]` a value or `true` (the flag alone), `[x...]` values or `true`; no value
 * (and `--no-x`) a boolean.
 */
type Value<O extends OptionSpec> =
  FlagValue<O['flags']> extends `<${string}...>`
    ? Scalar<O>[]
    : FlagValue<O['flags']> extends `<${string}>`
      ? Scalar<O>
      : FlagValue<O['flags']> extends `[${string}...]`
        ? Scalar<O>[] | true
        : FlagValue<O['flags']> extends `[${string}]`
          ? Scalar<O> | true
          : boolean;

/** Always set: a default value, or `--no-x` (commander sets x to true unless it is given). */
type Always<O extends OptionSpec> = O extends { defaultValue: string }
  ? true
  : FlagName<O['flags']> extends `--no-${string}`
    ? true
    : false;

type Flatten<T> = { [K in keyof T]: T[K] };

/** The options object for a list of flags: one property each, optional unless commander always sets it. */
export type OptionsOf<L extends readonly OptionSpec[]> = Flatten<
  { [O in L[number] as Always<O> extends true ? Key<O['flags']> : never]: Value<O> } & {
    [O in L[number] as Always<O> extends true ? never : Key<O['flags']>]?: Value<O>;
  }
>;
