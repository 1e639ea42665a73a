// AWS CloudTrail (awsJson1_1, target prefix com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101): DescribeTrails,
// GetTrailStatus, StartLogging, StopLogging. Trails live in their home region's RegionState.trails (created by the
// CloudFormation engine, or by the admin route POST /_sim/trails through createTrail below).
//  - A multi-region trail appears in the owner's other regions as a shadow trail.
//  - An organisation trail of the management account appears in every member account as a shadow trail (in every
//    region if multi-region, else in its home region), with the management account's ARN; members can read its status
//    by ARN but cannot change it.
import { SimError, type Service, type ServiceContext, type SimRequest } from '../types.js';
import { regionState, type SimState, type Trail } from '../state.js';

export const cloudtrail: Service = {
  name: 'cloudtrail',
  protocol: 'json',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    switch (req.operation) {
      case 'DescribeTrails':
        return describeTrails(ctx, req);
      case 'GetTrailStatus': {
        const { trail } = lookup(ctx.state, req, 'read');
        const now = ctx.state.clock.now() / 1000;
        const times = loggingTimes.get(trail) ?? {};
        return {
          IsLogging: trail.isLogging,
          ...(trail.isLogging ? { LatestDeliveryTime: Math.floor(now - 60) } : {}),
          ...(times.started !== undefined ? { StartLoggingTime: times.started } : {}),
          ...(times.stopped !== undefined ? { StopLoggingTime: times.stopped } : {}),
        };
      }
      case 'StartLogging':
      case 'StopLogging': {
        const { trail } = lookup(ctx.state, req, 'write');
        trail.isLogging = req.operation === 'StartLogging';
        const times = loggingTimes.get(trail) ?? {};
        times[trail.isLogging ? 'started' : 'stopped'] = ctx.state.clock.now() / 1000;
        loggingTimes.set(trail, times);
        return {};
      }
      default:
        throw new SimError('UnknownOperationException', `Unknown operation ${req.operation}`, 400);
    }
  },
};

const loggingTimes = new WeakMap<Trail, { started?: number; stopped?: number }>();

export interface TrailSpec {
  account: string;
  region: string;
  name: string;
  multiRegion?: boolean;
  organization?: boolean;
  logging?: boolean;
  bucket?: string;
}

/** Creates a trail as if it already existed in the account (POST /_sim/trails). */
export function createTrail(state: SimState, spec: TrailSpec): Trail {
  if (!/^\d{12}$/.test(spec.account)) throw new Error('account must be a 12-digit account id');
  if (!state.regions.includes(spec.region))
    throw new Error(`region ${spec.region} is not one of the simulator's regions`);
  if (!/^[A-Za-z0-9][\w.-]{1,126}[A-Za-z0-9]$/.test(spec.name)) throw new Error(`invalid trail name ${spec.name}`);
  if (spec.organization && spec.account !== state.org.managementAccountId) {
    throw new Error('only the management account can own an organization trail');
  }
  const rs = regionState(state, spec.account, spec.region);
  if (rs.trails.has(spec.name)) throw new Error(`trail ${spec.name} already exists`);
  const trail: Trail = {
    name: spec.name,
    arn: `arn:aws:cloudtrail:${spec.region}:${spec.account}:trail/${spec.name}`,
    homeRegion: spec.region,
    s3BucketName: spec.bucket ?? `aws-cloudtrail-logs-${spec.account}-${spec.name.toLowerCase()}`.slice(0, 63),
    isMultiRegionTrail: spec.multiRegion ?? true,
    isOrganizationTrail: spec.organization ?? false,
    includeGlobalServiceEvents: true,
    logFileValidationEnabled: true,
    isLogging: spec.logging ?? true,
    tags: {},
  };
  rs.trails.set(trail.name, trail);
  return trail;
}

interface Visible {
  trail: Trail;
  owner: string;
  shadow: boolean;
}

/** Every trail the caller's account can see from this region, home trails first. */
function visibleTrails(state: SimState, account: string, region: string): Visible[] {
  const out: Visible[] = [];
  const mgmt = state.org.managementAccountId;
  const isMember = account !== mgmt && state.org.accounts.get(account)?.status === 'ACTIVE';
  const owners = isMember ? [account, mgmt] : [account];
  for (const owner of owners) {
    const acct = state.accounts.get(owner);
    if (!acct) continue;
    for (const [r, rs] of acct.regions) {
      for (const trail of rs.trails.values()) {
        if (owner !== account && !trail.isOrganizationTrail) continue;
        const home = r === region;
        if (!home && !trail.isMultiRegionTrail) continue;
        out.push({ trail, owner, shadow: owner !== account || !home });
      }
    }
  }
  return out.sort((a, b) => Number(a.shadow) - Number(b.shadow) || a.trail.name.localeCompare(b.trail.name));
}

function describeTrails(ctx: ServiceContext, req: SimRequest): unknown {
  const account = req.caller.accountId;
  const names = Array.isArray(req.input.trailNameList) ? (req.input.trailNameList as unknown[]).map(String) : [];
  const includeShadow = req.input.includeShadowTrails !== false;
  let visible = visibleTrails(ctx.state, account, req.region);
  if (names.length > 0) {
    for (const n of names) if (!n.startsWith('arn:')) validateName(n);
    visible = visible.filter((v) =>
      names.some((n) => (n.startsWith('arn:') ? n === v.trail.arn : !v.shadow && n === v.trail.name)),
    );
  } else if (!includeShadow) {
    visible = visible.filter((v) => !v.shadow);
  }
  return { trailList: visible.map((v) => toWire(v.trail)) };
}

function toWire(t: Trail): Record<string, unknown> {
  return {
    Name: t.name,
    S3BucketName: t.s3BucketName,
    ...(t.s3KeyPrefix ? { S3KeyPrefix: t.s3KeyPrefix } : {}),
    IncludeGlobalServiceEvents: t.includeGlobalServiceEvents,
    IsMultiRegionTrail: t.isMultiRegionTrail,
    HomeRegion: t.homeRegion,
    TrailARN: t.arn,
    LogFileValidationEnabled: t.logFileValidationEnabled,
    ...(t.kmsKeyId ? { KmsKeyId: t.kmsKeyId } : {}),
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    IsOrganizationTrail: t.isOrganizationTrail,
  };
}

function validateName(name: string): void {
  if (!/^[A-Za-z0-9][\w.-]{1,126}[A-Za-z0-9]$/.test(name) || /[._-]{2}/.test(name)) {
    throw new SimError(
      'InvalidTrailNameException',
      'Trail name or ARN can only contain uppercase letters, lowercase letters, ' +
        'numbers, periods (.), hyphens (-), and underscores (_).',
      400,
    );
  }
}

/**
 * The trail that `Name` (a name or an ARN) designates for this caller. Reads accept shadow trails by ARN (and home
 * trails by name); writes need the owner, in the home region.
 */
function lookup(state: SimState, req: SimRequest, mode: 'read' | 'write'): Visible {
  const name = req.input.Name;
  const account = req.caller.accountId;
  if (typeof name !== 'string' || name === '') {
    throw new SimError('InvalidTrailNameException', 'Trail name cannot be empty.', 400);
  }
  const isArn = name.startsWith('arn:');
  if (isArn && !/^arn:aws[\w-]*:cloudtrail:[\w-]+:\d{12}:trail\/.+$/.test(name)) {
    throw new SimError('CloudTrailARNInvalidException', `The ARN ${name} is not valid.`, 400);
  }
  if (!isArn) validateName(name);
  const arn = isArn ? name : `arn:aws:cloudtrail:${req.region}:${account}:trail/${name}`;
  const found = visibleTrails(state, account, req.region).find((v) =>
    isArn ? v.trail.arn === name : !v.shadow && v.trail.name === name,
  );
  if (!found) throw new SimError('TrailNotFoundException', `Unknown trail: ${arn} for the user: ${account}`, 400);
  if (mode === 'write') {
    if (found.owner !== account) {
      throw new SimError(
        'NotOrganizationMasterAccountException',
        `The request was rejected because the current account ${account} ` +
          'is not the management account of the organization that owns the trail.',
        400,
      );
    }
    if (found.trail.homeRegion !== req.region) {
      throw new SimError(
        'InvalidHomeRegionException',
        `This operation must be called from the trail's home region, ${found.trail.homeRegion}.`,
        400,
      );
    }
  }
  return found;
}
