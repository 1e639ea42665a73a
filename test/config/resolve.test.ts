import { describe, expect, it } from 'vitest';
import { checkTrailHome, resolveConfig, type ConfigFlags, type Source } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/errors.js';
import { failureLimit, type ConfigFile } from '../../src/config/schema.js';

function valueAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], root);
}

const file: ConfigFile = {
  regions: ['eu-west-1'],
  organization: { roleName: 'FileRole', externalId: 'file-ext' },
  deploy: { concurrency: 4, failureTolerance: 2 },
  policy: { mode: 'monitor' },
};
const flags: ConfigFlags = {
  regions: 'all',
  concurrency: 64,
  failureTolerance: '5%',
  roleName: 'FlagRole',
  externalId: 'flag-ext',
};

describe('precedence: defaults < file < flags', () => {
  // layers: which of default / file / flags are present. No flag sets policy.mode or deploy.pollSeconds, so the
  // file (or the default) still decides them when flags are given.
  it.each<{ key: string; layers: Source; value: unknown; source: Source }>([
    { key: 'regions', layers: 'default', value: ['us-east-1', 'us-west-2'], source: 'default' },
    { key: 'regions', layers: 'file', value: ['eu-west-1'], source: 'file' },
    { key: 'regions', layers: 'flag', value: 'all', source: 'flag' },
    { key: 'deploy.concurrency', layers: 'default', value: 16, source: 'default' },
    { key: 'deploy.concurrency', layers: 'file', value: 4, source: 'file' },
    { key: 'deploy.concurrency', layers: 'flag', value: 64, source: 'flag' },
    { key: 'deploy.failureTolerance', layers: 'default', value: null, source: 'default' },
    { key: 'deploy.failureTolerance', layers: 'file', value: 2, source: 'file' },
    { key: 'deploy.failureTolerance', layers: 'flag', value: '5%', source: 'flag' },
    { key: 'organization.roleName', layers: 'default', value: 'OrganizationAccountAccessRole', source: 'default' },
    { key: 'organization.roleName', layers: 'file', value: 'FileRole', source: 'file' },
    { key: 'organization.roleName', layers: 'flag', value: 'FlagRole', source: 'flag' },
    { key: 'organization.externalId', layers: 'default', value: null, source: 'default' },
    { key: 'organization.externalId', layers: 'file', value: 'file-ext', source: 'file' },
    { key: 'organization.externalId', layers: 'flag', value: 'flag-ext', source: 'flag' },
    { key: 'policy.mode', layers: 'default', value: 'enforce', source: 'default' },
    { key: 'policy.mode', layers: 'file', value: 'monitor', source: 'file' },
    { key: 'policy.mode', layers: 'flag', value: 'monitor', source: 'file' },
    { key: 'deploy.pollSeconds', layers: 'flag', value: 5, source: 'default' },
  ])('$key with layers up to $layers → $value from $source', ({ key, layers, value, source }) => {
    const resolved = resolveConfig(layers === 'default' ? null : file, layers === 'flag' ? flags : {});
    expect(valueAt(resolved.config, key)).toEqual(value);
    expect(resolved.sources[key]).toBe(source);
  });

  it('records a source for every setting', () => {
    const { sources } = resolveConfig(null);
    expect(Object.keys(sources).sort()).toEqual(
      [
        'stackName',
        'regions',
        'accounts',
        'organization.roleName',
        'organization.externalId',
        'organization.sessionName',
        'organization.includeOUs',
        'organization.excludeOUs',
        'organization.excludeAccounts',
        'organization.includeManagementAccount',
        'trail.mode',
        'trail.homeRegion',
        'trail.retentionDays',
        'policy.mode',
        'policy.directions',
        'policy.onModify',
        'policy.onModifyUnknown',
        'policy.allowPrincipals',
        'policy.exemptTag',
        'policy.exemptGroups',
        'policy.onlyVpcs',
        'policy.onlyTag',
        'policy.settleSeconds',
        'policy.prefixLists.principals',
        'policy.prefixLists.cidrs',
        'policy.prefixLists.exempt',
        'policy.onAssociate',
        'notifications.email',
        'notifications.topicArn',
        'notifications.on',
        'function.reservedConcurrency',
        'approvals.enabled',
        'approvals.account',
        'approvals.region',
        'approvals.tableName',
        'approvals.maxDuration',
        'approvals.sweepMinutes',
        'approvals.onLookupError',
        'approvals.lookupErrorGraceMinutes',
        'deploy.concurrency',
        'deploy.canary',
        'deploy.failureTolerance',
        'deploy.pollSeconds',
        'deploy.engine',
        'stacksets.autoDeploy',
        'stacksets.retainStacksOnAccountRemoval',
        'stacksets.callAs',
        'stacksets.maxConcurrentPercentage',
        'stacksets.failureTolerancePercentage',
        'stacksets.concurrencyMode',
        'stacksets.regionConcurrency',
        'stacksets.managedExecution',
        'protection.required',
        'protection.terminationProtection',
        'protection.allowPrincipals',
      ].sort(),
    );
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
  });

  it('an explicit null in the file is the file speaking', () => {
    const { config, sources } = resolveConfig({ policy: { exemptTag: null } });
    expect(config.policy.exemptTag).toBeNull();
    expect(sources['policy.exemptTag']).toBe('file');
  });

  it('--role-name and --external-id replace the per-account values of the file', () => {
    const { config } = resolveConfig(
      {
        accounts: [
          { id: '111111111111', name: 'a', roleName: 'PerAccount', externalId: 'per-account', regions: 'all' },
        ],
      },
      { roleName: 'FlagRole', externalId: 'flag-ext' },
    );
    expect(config.accounts).toEqual([{ id: '111111111111', name: 'a', regions: 'all' }]);
    expect(config.organization).toMatchObject({ roleName: 'FlagRole', externalId: 'flag-ext' });
  });

  it('--account selects accounts without changing the settings', () => {
    expect(resolveConfig(null, { accounts: ['111111111111'] }).selectedAccounts).toEqual(['111111111111']);
    expect(resolveConfig(null, {}).selectedAccounts).toBeNull();
  });

  it('does not share lists with the defaults or the file', () => {
    const fromFile: ConfigFile = { regions: ['eu-west-1'] };
    const first = resolveConfig(fromFile);
    (first.config.regions as string[]).push('eu-west-2');
    first.config.policy.directions.pop();
    expect(fromFile.regions).toEqual(['eu-west-1']);
    expect(resolveConfig(null).config.policy.directions).toEqual(['ingress', 'egress']);
  });
});

describe('failureLimit', () => {
  it.each([
    { tolerance: null, total: 10, limit: Number.POSITIVE_INFINITY },
    { tolerance: 0, total: 10, limit: 0 },
    { tolerance: 3, total: 10, limit: 3 },
    { tolerance: '10%' as const, total: 25, limit: 2 },
    { tolerance: '100%' as const, total: 7, limit: 7 },
    { tolerance: '0%' as const, total: 7, limit: 0 },
  ])('$tolerance of $total → $limit', ({ tolerance, total, limit }) => {
    expect(failureLimit(tolerance, total)).toBe(limit);
  });
});

describe('the trail needs its home region deployed (deploy and validate)', () => {
  it.each([
    [
      { regions: ['eu-west-1'] },
      {},
      /trail\.homeRegion us-east-1 is not among the regions to deploy \(regions: eu-west-1\)/,
    ],
    [{}, { regions: ['eu-west-1'] }, /\(--regions: eu-west-1\)/],
    [{ regions: ['eu-west-1'], trail: { mode: 'create' as const } }, {}, /not among the regions/],
  ])('refuses %o with flags %o', (fileSettings, flagSettings, message) => {
    const resolved = resolveConfig(fileSettings, flagSettings);
    expect(() => checkTrailHome(resolved)).toThrow(message);
    try {
      checkTrailHome(resolved);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as ConfigError).suggestion).toMatch(/trail\.mode: existing/);
    }
  });

  it.each([
    [{ regions: ['eu-west-1'], trail: { mode: 'existing' as const } }],
    [{ regions: ['eu-west-1'], trail: { homeRegion: 'eu-west-1' } }],
    [{ regions: 'all' as const }],
    [{}],
  ])('accepts %o', (fileSettings) => {
    expect(() => checkTrailHome(resolveConfig(fileSettings as ConfigFile, {}))).not.toThrow();
  });
});
