// The option types derived from the flags in src/commands/index.ts. The expectTypeOf lines are checked by the type
// checker (`npx tsc -p tsconfig.json --noEmit`, part of npm test), not at run time: a flag string whose change changes
// a type (a rename, `<x>` to `[x]`, a lost default or choice) fails there. The rest runs: the derived names are the
// ones commander gives, and every default is one of its option's choices, so the types cannot promise what commander
// does not deliver.
import { Option } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { COMMANDS } from '../../src/commands/index.js';
import type { CommandName, CommandOptions, OptionsOf } from '../../src/commands/index.js';

describe('option types derived from the flags', () => {
  it('deploy: --all-accounts and --plan optional booleans, --output a choice with a default', () => {
    expectTypeOf<
      Pick<CommandOptions<'deploy'>, 'allAccounts' | 'plan' | 'output' | 'engine' | 'failureTolerance'>
    >().toEqualTypeOf<{
      allAccounts?: boolean;
      plan?: boolean;
      output: 'table' | 'json';
      engine?: 'direct' | 'stacksets';
      failureTolerance?: string;
    }>();
    expectTypeOf<CommandOptions<'deploy'>>().not.toHaveProperty('drift');
  });

  it('status: --no-drift is drift, always set; no --failure-tolerance', () => {
    expectTypeOf<Pick<CommandOptions<'status'>, 'drift' | 'all' | 'requireProtection'>>().toEqualTypeOf<{
      drift: boolean;
      all?: boolean;
      requireProtection?: boolean;
    }>();
    expectTypeOf<CommandOptions<'status'>>().not.toHaveProperty('failureTolerance');
  });

  it('template: --region a string, --engine a choice, nothing else but --config', () => {
    expectTypeOf<CommandOptions<'template'>>().toEqualTypeOf<{
      config?: string;
      region?: string;
      engine?: 'direct' | 'stacksets';
    }>();
  });

  it('activity, report, approve: csv, defaults, a variadic flag', () => {
    expectTypeOf<CommandOptions<'activity'>['output']>().toEqualTypeOf<'table' | 'json' | 'csv'>();
    expectTypeOf<Pick<CommandOptions<'report'>, 'since' | 'out' | 'drift'>>().toEqualTypeOf<{
      since: string;
      out?: string;
      drift: boolean;
    }>();
    expectTypeOf<Pick<CommandOptions<'approve'>, 'rule' | 'for'>>().toEqualTypeOf<{ rule?: string[]; for?: string }>();
  });

  it('flag forms no command uses yet: a short alias, an optional value, optional values', () => {
    type Forms = OptionsOf<
      [
        { flags: '-y, --yes-please'; description: '' },
        { flags: '--level [n]'; description: '' },
        { flags: '--tags [tag...]'; description: '' },
        { flags: '--mode [m]'; description: ''; choices: readonly ['a', 'b'] },
      ]
    >;
    expectTypeOf<Forms>().toEqualTypeOf<{
      yesPlease?: boolean;
      level?: string | true;
      tags?: string[] | true;
      mode?: 'a' | 'b' | true;
    }>();
  });
});

/** Every command's option names, as commander gives them; typed to be exactly the derived type's keys. */
const KEYS = {
  validate: ['config', 'regions', 'concurrency', 'failureTolerance', 'roleName', 'externalId', 'output'],
  deploy: [
    'allAccounts',
    'account',
    'config',
    'regions',
    'concurrency',
    'failureTolerance',
    'roleName',
    'externalId',
    'plan',
    'verbose',
    'yes',
    'engine',
    'output',
  ],
  status: [
    'account',
    'config',
    'regions',
    'concurrency',
    'roleName',
    'externalId',
    'drift',
    'all',
    'engine',
    'requireProtection',
    'output',
  ],
  remove: [
    'allAccounts',
    'account',
    'config',
    'regions',
    'concurrency',
    'roleName',
    'externalId',
    'includeApprovals',
    'yes',
    'engine',
    'output',
  ],
  retry: [
    'allAccounts',
    'account',
    'config',
    'regions',
    'concurrency',
    'roleName',
    'externalId',
    'yes',
    'engine',
    'output',
  ],
  baseline: ['allAccounts', 'account', 'config', 'regions', 'concurrency', 'roleName', 'externalId', 'yes', 'output'],
  approve: ['account', 'region', 'group', 'rule', 'for', 'reason', 'config', 'output'],
  approvals: ['all', 'account', 'reason', 'config', 'output'],
  activity: [
    'since',
    'until',
    'account',
    'action',
    'principal',
    'config',
    'regions',
    'concurrency',
    'roleName',
    'externalId',
    'output',
  ],
  report: ['out', 'since', 'account', 'config', 'regions', 'concurrency', 'roleName', 'externalId', 'drift'],
  protect: ['config', 'plan', 'attach', 'detach', 'yes', 'output'],
  template: ['config', 'region', 'engine'],
} as const satisfies { [N in CommandName]: readonly (keyof CommandOptions<N>)[] };

describe('the derived types agree with commander', () => {
  it('KEYS lists every derived key (type check)', () => {
    type Missing = { [N in CommandName]: Exclude<keyof CommandOptions<N>, (typeof KEYS)[N][number]> };
    expectTypeOf<Missing[CommandName]>().toBeNever();
  });

  it('commander names each option as the derived type does', () => {
    for (const spec of COMMANDS) {
      const names = spec.options.map((o) => new Option(o.flags, o.description).attributeName());
      expect(names, spec.name).toEqual(KEYS[spec.name as CommandName]);
    }
  });

  it('every default is one of its choices (commander checks only the values given)', () => {
    const stray = COMMANDS.flatMap((spec) =>
      spec.options
        .filter((o) => o.choices !== undefined && o.defaultValue !== undefined && !o.choices.includes(o.defaultValue))
        .map((o) => `${spec.name} ${o.flags}`),
    );
    expect(stray).toEqual([]);
  });
});
