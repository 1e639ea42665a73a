// Drift: a resource's declared (evaluated) properties against its actual state. Only properties the template sets
// explicitly are compared, as AWS documents; types without drift support are NOT_CHECKED; code is never compared.
import type { ResourceDrift, StackResource } from './model.js';
import type { ProviderEnv } from './providers.js';
import { providerFor } from './providers.js';

type Diff = ResourceDrift['differences'][number];

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapePath(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Differences between an expected and an actual value, as JSON-pointer paths. */
export function compare(expected: unknown, actual: unknown, path: string, out: Diff[]): void {
  if (actual === undefined || actual === null) {
    if (expected !== undefined && expected !== null) {
      out.push({ PropertyPath: path, ExpectedValue: scalar(expected), ActualValue: 'null', DifferenceType: 'REMOVE' });
    }
    return;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const k of Object.keys(expected)) compare(expected[k], actual[k], `${path}/${escapePath(k)}`, out);
    for (const k of Object.keys(actual)) {
      if (!(k in expected) && actual[k] !== undefined) {
        out.push({
          PropertyPath: `${path}/${escapePath(k)}`,
          ExpectedValue: 'null',
          ActualValue: scalar(actual[k]),
          DifferenceType: 'ADD',
        });
      }
    }
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const len = Math.max(expected.length, actual.length);
    for (let i = 0; i < len; i++) {
      if (i >= actual.length)
        out.push({
          PropertyPath: `${path}/${i}`,
          ExpectedValue: scalar(expected[i]),
          ActualValue: 'null',
          DifferenceType: 'REMOVE',
        });
      else if (i >= expected.length)
        out.push({
          PropertyPath: `${path}/${i}`,
          ExpectedValue: 'null',
          ActualValue: scalar(actual[i]),
          DifferenceType: 'ADD',
        });
      else compare(expected[i], actual[i], `${path}/${i}`, out);
    }
    return;
  }
  // CloudFormation compares scalars by value: 30 and "30" are the same
  const same =
    typeof expected === 'object' || typeof actual === 'object'
      ? JSON.stringify(expected) === JSON.stringify(actual)
      : String(expected) === String(actual);
  if (!same)
    out.push({
      PropertyPath: path,
      ExpectedValue: scalar(expected),
      ActualValue: scalar(actual),
      DifferenceType: 'NOT_EQUAL',
    });
}

/** Checks one resource now. */
export function detectResourceDrift(env: ProviderEnv, r: StackResource, at: number): ResourceDrift {
  const provider = providerFor(r.type);
  if (!provider?.actual || !provider.driftKeys) return { status: 'NOT_CHECKED', checkedAt: at, differences: [] };
  const expectedAll = r.props;
  const actualState = provider.actual(env, r);
  const expected = JSON.stringify(expectedAll);
  if (actualState === undefined) return { status: 'DELETED', checkedAt: at, expected, differences: [] };
  const differences: Diff[] = [];
  const actualAll: Record<string, unknown> = { ...expectedAll };
  for (const key of provider.driftKeys) {
    if (!(key in expectedAll)) continue;
    actualAll[key] = actualState[key];
    compare(expectedAll[key], actualState[key], `/${key}`, differences);
  }
  return {
    status: differences.length > 0 ? 'MODIFIED' : 'IN_SYNC',
    checkedAt: at,
    expected,
    actual: JSON.stringify(actualAll),
    differences,
  };
}
