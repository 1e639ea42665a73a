// The engine's own rules on the configuration: the stacksets engine targets OUs (service-managed permissions), so an
// explicit `accounts:` list cannot be expressed with it. deploy, status, remove and validate refuse that combination.
import { ConfigError } from '../errors.js';
import type { ResolvedConfig } from './resolve.js';

export function checkEngine({ config, sources }: Pick<ResolvedConfig, 'config' | 'sources'>): void {
  if (config.deploy.engine !== 'stacksets') return;
  if (config.regions === 'all') {
    throw new ConfigError('deploy.engine: stacksets needs the regions listed: a stack set deploys to named regions', {
      problems: [
        {
          path: sources.regions === 'flag' ? '--regions' : 'regions',
          message: '"all" cannot be expressed as a stack set\'s regions',
        },
      ],
      suggestion: 'List the regions (regions: [us-east-1, eu-west-1]) or use deploy.engine: direct.',
    });
  }
  if (config.accounts.length === 0) return;
  const where = sources['deploy.engine'] === 'flag' ? '--engine stacksets' : 'deploy.engine: stacksets';
  throw new ConfigError(
    `${where} cannot use the explicit accounts list (${config.accounts.length} account(s) under accounts:)`,
    {
      problems: [
        {
          path: 'accounts',
          message:
            'StackSets with service-managed permissions deploys to organizational units, not to a list of accounts',
        },
      ],
      suggestion:
        'Remove `accounts:` and choose the accounts with organization.includeOUs, excludeOUs and excludeAccounts, ' +
        'or keep the list and use deploy.engine: direct.',
    },
  );
}
