/**
 * Every AWS region name, by partition. `optIn` marks the commercial regions that an account must enable before use
 * (launched after March 2019); the others are enabled by default. Keep in step with the AWS SDK's partitions data.
 */

export type Partition =
  'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-eusc' | 'aws-iso' | 'aws-iso-b' | 'aws-iso-e' | 'aws-iso-f';

export interface RegionInfo {
  readonly name: string;
  readonly partition: Partition;
  readonly optIn: boolean;
  readonly description: string;
}

function r(name: string, partition: Partition, optIn: boolean, description: string): RegionInfo {
  return { name, partition, optIn, description };
}

export const AWS_REGIONS: readonly RegionInfo[] = [
  r('us-east-1', 'aws', false, 'US East (N. Virginia)'),
  r('us-east-2', 'aws', false, 'US East (Ohio)'),
  r('us-west-1', 'aws', false, 'US West (N. California)'),
  r('us-west-2', 'aws', false, 'US West (Oregon)'),
  r('af-south-1', 'aws', true, 'Africa (Cape Town)'),
  r('ap-east-1', 'aws', true, 'Asia Pacific (Hong Kong)'),
  r('ap-east-2', 'aws', true, 'Asia Pacific (Taipei)'),
  r('ap-northeast-1', 'aws', false, 'Asia Pacific (Tokyo)'),
  r('ap-northeast-2', 'aws', false, 'Asia Pacific (Seoul)'),
  r('ap-northeast-3', 'aws', false, 'Asia Pacific (Osaka)'),
  r('ap-south-1', 'aws', false, 'Asia Pacific (Mumbai)'),
  r('ap-south-2', 'aws', true, 'Asia Pacific (Hyderabad)'),
  r('ap-southeast-1', 'aws', false, 'Asia Pacific (Singapore)'),
  r('ap-southeast-2', 'aws', false, 'Asia Pacific (Sydney)'),
  r('ap-southeast-3', 'aws', true, 'Asia Pacific (Jakarta)'),
  r('ap-southeast-4', 'aws', true, 'Asia Pacific (Melbourne)'),
  r('ap-southeast-5', 'aws', true, 'Asia Pacific (Malaysia)'),
  r('ap-southeast-6', 'aws', true, 'Asia Pacific (New Zealand)'),
  r('ap-southeast-7', 'aws', true, 'Asia Pacific (Thailand)'),
  r('ca-central-1', 'aws', false, 'Canada (Central)'),
  r('ca-west-1', 'aws', true, 'Canada West (Calgary)'),
  r('eu-central-1', 'aws', false, 'Europe (Frankfurt)'),
  r('eu-central-2', 'aws', true, 'Europe (Zurich)'),
  r('eu-north-1', 'aws', false, 'Europe (Stockholm)'),
  r('eu-south-1', 'aws', true, 'Europe (Milan)'),
  r('eu-south-2', 'aws', true, 'Europe (Spain)'),
  r('eu-west-1', 'aws', false, 'Europe (Ireland)'),
  r('eu-west-2', 'aws', false, 'Europe (London)'),
  r('eu-west-3', 'aws', false, 'Europe (Paris)'),
  r('il-central-1', 'aws', true, 'Israel (Tel Aviv)'),
  r('me-central-1', 'aws', true, 'Middle East (UAE)'),
  r('me-south-1', 'aws', true, 'Middle East (Bahrain)'),
  r('me-west-1', 'aws', true, 'Middle East (Saudi Arabia)'),
  r('mx-central-1', 'aws', true, 'Mexico (Central)'),
  r('sa-east-1', 'aws', false, 'South America (Sao Paulo)'),
  r('sa-west-1', 'aws', true, 'South America (Chile)'),
  r('cn-north-1', 'aws-cn', false, 'China (Beijing)'),
  r('cn-northwest-1', 'aws-cn', false, 'China (Ningxia)'),
  r('us-gov-east-1', 'aws-us-gov', false, 'AWS GovCloud (US-East)'),
  r('us-gov-west-1', 'aws-us-gov', false, 'AWS GovCloud (US-West)'),
  r('eusc-de-east-1', 'aws-eusc', false, 'AWS European Sovereign Cloud (Germany)'),
  r('us-iso-east-1', 'aws-iso', false, 'US ISO East'),
  r('us-iso-west-1', 'aws-iso', false, 'US ISO West'),
  r('us-isob-east-1', 'aws-iso-b', false, 'US ISOB East (Ohio)'),
  r('us-isob-west-1', 'aws-iso-b', false, 'US ISOB West'),
  r('eu-isoe-west-1', 'aws-iso-e', false, 'EU ISOE West'),
  r('us-isof-east-1', 'aws-iso-f', false, 'US ISOF East'),
  r('us-isof-south-1', 'aws-iso-f', false, 'US ISOF South'),
];

export const REGION_NAMES: readonly string[] = AWS_REGIONS.map((region) => region.name);

const byName = new Map(AWS_REGIONS.map((region) => [region.name, region]));

export function isRegionName(name: string): boolean {
  return byName.has(name);
}

export function regionInfo(name: string): RegionInfo | undefined {
  return byName.get(name);
}

/** The partition of a region name, for building ARNs; undefined when the name is not a known region. */
export function partitionOf(name: string): Partition | undefined {
  return byName.get(name)?.partition;
}
