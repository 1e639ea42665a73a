import { describe, expect, it } from 'vitest';
import { AWS_REGIONS, REGION_NAMES, isRegionName, partitionOf } from '../../src/config/regions.js';
import { suggest } from '../../src/config/suggest.js';

describe('suggest', () => {
  it.each([
    { input: 'regoins', candidates: ['stackName', 'regions', 'accounts'], expected: 'regions' },
    { input: 'pollSecs', candidates: ['concurrency', 'pollSeconds'], expected: 'pollSeconds' },
    { input: 'STACKNAME', candidates: ['stackName'], expected: 'stackName' },
    { input: 'eu-west-9', candidates: REGION_NAMES, expected: 'eu-west-1' },
    { input: 'us-east1', candidates: REGION_NAMES, expected: 'us-east-1' },
    { input: 'frankfurt', candidates: REGION_NAMES, expected: undefined },
    { input: 'xyz', candidates: ['stackName', 'regions'], expected: undefined },
    { input: 'id', candidates: ['name'], expected: undefined },
    { input: 'anything', candidates: [], expected: undefined },
  ])('$input → $expected', ({ input, candidates, expected }) => {
    expect(suggest(input, candidates)).toBe(expected);
  });
});

describe('regions', () => {
  it('covers the commercial, opt-in, GovCloud and China regions', () => {
    for (const name of [
      'us-east-1',
      'eu-west-3',
      'af-south-1',
      'ap-southeast-7',
      'mx-central-1',
      'us-gov-west-1',
      'cn-northwest-1',
    ]) {
      expect(isRegionName(name), name).toBe(true);
    }
    expect(isRegionName('eu-west-9')).toBe(false);
    expect(isRegionName('US-EAST-1')).toBe(false);
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-east-1')).toBe('aws-us-gov');
    expect(AWS_REGIONS.find((region) => region.name === 'af-south-1')?.optIn).toBe(true);
    expect(AWS_REGIONS.find((region) => region.name === 'us-east-1')?.optIn).toBe(false);
  });

  it('has well-formed, unique names', () => {
    expect(new Set(REGION_NAMES).size).toBe(REGION_NAMES.length);
    for (const name of REGION_NAMES) expect(name).toMatch(/^[a-z]{2,4}(-[a-z]+)+-\d$/);
  });
});
