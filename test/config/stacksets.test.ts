// The stacksets engine's configuration: deploy.engine and --engine, the stacksets section's defaults and ranges, and
// the combinations the engine refuses (an accounts list, regions: all).
import { describe, expect, it } from 'vitest';
import { checkEngine, parseConfigFlags, resolveConfig } from '../../src/config/index.js';
import { configFileSchema } from '../../src/config/schema.js';
import { ConfigError, UsageError } from '../../src/errors.js';

describe('stacksets configuration', () => {
  it('has a default for every key, and --engine overrides deploy.engine', () => {
    const { config } = resolveConfig(null);
    expect(config.deploy.engine).toBe('direct');
    expect(config.stacksets).toEqual({
      autoDeploy: true,
      retainStacksOnAccountRemoval: false,
      callAs: 'SELF',
      maxConcurrentPercentage: 25,
      failureTolerancePercentage: 10,
      concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
      regionConcurrency: 'PARALLEL',
      managedExecution: true,
    });
    const flagged = resolveConfig({ deploy: { engine: 'direct' } }, parseConfigFlags({ engine: 'stacksets' }));
    expect(flagged.config.deploy.engine).toBe('stacksets');
    expect(flagged.sources['deploy.engine']).toBe('flag');
  });

  it.each([
    [{ stacksets: { maxConcurrentPercentage: 0 } }, 'stacksets.maxConcurrentPercentage'],
    [{ stacksets: { failureTolerancePercentage: 101 } }, 'stacksets.failureTolerancePercentage'],
    [{ stacksets: { callAs: 'ADMIN' } }, 'stacksets.callAs'],
    [{ stacksets: { concurrencyMode: 'SOFT' } }, 'stacksets.concurrencyMode'],
    [{ stacksets: { regionConcurrency: 'ALL' } }, 'stacksets.regionConcurrency'],
    [{ stacksets: { autoDeploy: 'yes' } }, 'stacksets.autoDeploy'],
    [{ stacksets: { retain: true } }, 'stacksets'],
    [{ deploy: { engine: 'cloud' } }, 'deploy.engine'],
  ])('refuses %j', (file, path) => {
    const out = configFileSchema.safeParse(file);
    expect(out.success).toBe(false);
    expect(out.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('refuses --engine with another value, naming the flag', () => {
    expect(() => parseConfigFlags({ engine: 'cloud' })).toThrow(UsageError);
    expect(() => parseConfigFlags({ engine: 'cloud' })).toThrow(/--engine/);
  });

  it('refuses an accounts list and regions: all with the stacksets engine, and nothing with direct', () => {
    const accounts = [{ id: '111111111111', name: 'a' }];
    expect(() => checkEngine(resolveConfig({ accounts, deploy: { engine: 'stacksets' } }))).toThrow(ConfigError);
    expect(() => checkEngine(resolveConfig({ accounts, deploy: { engine: 'stacksets' } }))).toThrow(
      /explicit accounts list/,
    );
    expect(() => checkEngine(resolveConfig({ regions: 'all', deploy: { engine: 'stacksets' } }))).toThrow(
      /regions listed/,
    );
    expect(() => checkEngine(resolveConfig({ accounts, regions: 'all' }))).not.toThrow();
    expect(() => checkEngine(resolveConfig({ deploy: { engine: 'stacksets' } }))).not.toThrow();
  });
});
