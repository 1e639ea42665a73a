// AWS Config (awsJson1_1, target prefix StarlingDoveService): GetResourceConfigHistory for AWS::EC2::SecurityGroup.
// An account and region has a configuration recorder only when a test (or POST /_sim/config) turns one on; while it
// records, every change of a security group made through EC2 (creation, rules added, revoked or modified, tags,
// deletion) adds a configuration item at the simulated time of the change, with the CloudTrail event id of the call
// in `relatedEvents`. The configuration is the group in Config's own shape (camelCase, `ipv4Ranges` with
// descriptions beside the plain `ipRanges`, `userIdGroupPairs`), as a JSON string.
import { SimError, type Service, type SimRequest } from '../types.js';
import { hexId, regionState, type ConfigItem, type RegionState, type SecurityGroup, type SimState } from '../state.js';

const RESOURCE_TYPE = 'AWS::EC2::SecurityGroup';

export const config: Service = {
  name: 'config',
  protocol: 'json',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    switch (req.operation) {
      case 'GetResourceConfigHistory':
        return history(ctx.state, req);
      default:
        throw new SimError('UnknownOperationException', `Unknown operation ${req.operation}`, 400);
    }
  },
};

/** Turns the recorder of an account (every region of the simulator, or one) on or off. */
export function setRecording(state: SimState, account: string, recording: boolean, region?: string): void {
  for (const r of region ? [region] : state.regions) {
    const rs = regionState(state, account, r);
    rs.configRecorder ??= { recording, items: new Map() };
    rs.configRecorder.recording = recording;
    // a recorder that starts records every group as it is now, as Config's first discovery does
    if (recording)
      for (const sg of rs.securityGroups.values())
        if (!rs.configRecorder.items.has(sg.groupId)) captureGroup(state, rs, sg.groupId);
  }
}

/** The group in the shape Config records it. */
function configurationOf(rs: RegionState, sg: SecurityGroup): string {
  const permissions = (egress: boolean) => {
    const perms = new Map<
      string,
      Record<string, unknown> & {
        ipv4Ranges: object[];
        ipRanges: string[];
        ipv6Ranges: object[];
        prefixListIds: object[];
        userIdGroupPairs: object[];
      }
    >();
    for (const r of sg.rules.values()) {
      if (r.isEgress !== egress) continue;
      const key = `${r.ipProtocol}|${r.fromPort}|${r.toPort}`;
      let p = perms.get(key);
      if (!p) {
        p = {
          ipProtocol: r.ipProtocol,
          ...(r.ipProtocol === '-1' ? {} : { fromPort: r.fromPort, toPort: r.toPort }),
          ipv4Ranges: [],
          ipRanges: [],
          ipv6Ranges: [],
          prefixListIds: [],
          userIdGroupPairs: [],
        };
        perms.set(key, p);
      }
      const description = r.description === undefined ? {} : { description: r.description };
      if (r.cidrIpv4) {
        p.ipv4Ranges.push({ cidrIp: r.cidrIpv4, ...description });
        p.ipRanges.push(r.cidrIpv4);
      } else if (r.cidrIpv6) p.ipv6Ranges.push({ cidrIpv6: r.cidrIpv6, ...description });
      else if (r.prefixListId) p.prefixListIds.push({ prefixListId: r.prefixListId, ...description });
      else if (r.referencedGroup)
        p.userIdGroupPairs.push({
          groupId: r.referencedGroup.groupId,
          userId: r.referencedGroup.userId,
          ...description,
        });
    }
    return [...perms.values()];
  };
  return JSON.stringify({
    description: sg.description,
    groupName: sg.groupName,
    ipPermissions: permissions(false),
    ownerId: rs.accountId,
    groupId: sg.groupId,
    ipPermissionsEgress: permissions(true),
    tags: Object.entries(sg.tags).map(([key, value]) => ({ key, value })),
    vpcId: sg.vpcId,
  });
}

/** Called by EC2 after a group changed: a configuration item, when the account and region record. */
export function captureGroup(state: SimState, rs: RegionState, groupId: string, eventId?: string): void {
  const recorder = rs.configRecorder;
  if (!recorder?.recording) return;
  const items = recorder.items.get(groupId) ?? [];
  const sg = rs.securityGroups.get(groupId);
  const last = items[items.length - 1];
  if (!sg && (!last || last.status === 'ResourceDeleted')) return;
  items.push({
    capturedAt: state.clock.now(),
    status: !sg ? 'ResourceDeleted' : last && last.status !== 'ResourceDeleted' ? 'OK' : 'ResourceDiscovered',
    configuration: sg ? configurationOf(rs, sg) : 'null',
    stateId: `${state.clock.now()}${hexId(state, 4)}`,
    relatedEvents: eventId ? [eventId] : [],
  });
  recorder.items.set(groupId, items);
}

function history(state: SimState, req: SimRequest) {
  const input = req.input;
  const rs = regionState(state, req.caller.accountId, req.region);
  const resourceId = typeof input.resourceId === 'string' ? input.resourceId : '';
  if (input.resourceType !== RESOURCE_TYPE) {
    throw new SimError('ValidationException', `The simulator records only ${RESOURCE_TYPE}`, 400);
  }
  const limit = input.limit === undefined ? 10 : Number(input.limit);
  if (!Number.isInteger(limit) || limit < 0 || limit > 100)
    throw new SimError('InvalidLimitException', `limit ${String(input.limit)} is not 0 to 100`, 400);
  // the SDK sends awsJson timestamps as epoch seconds
  const time = (v: unknown, fallback: number) => (typeof v === 'number' ? v * 1000 : fallback);
  const later = time(input.laterTime, state.clock.now());
  const earlier = time(input.earlierTime, 0);
  if (earlier > later)
    throw new SimError('InvalidTimeRangeException', 'The earlier time is later than the later time', 400);
  if (!rs.configRecorder)
    throw new SimError(
      'NoAvailableConfigurationRecorderException',
      'There are no configuration recorders available to provide the configuration history.',
      400,
    );
  const all = rs.configRecorder.items.get(resourceId);
  if (!all?.length)
    throw new SimError(
      'ResourceNotDiscoveredException',
      `Resource ${resourceId} of resourceType:${RESOURCE_TYPE} is unknown or has not been discovered`,
      400,
    );
  const inRange = all.filter((i) => i.capturedAt >= earlier && i.capturedAt <= later);
  if (input.chronologicalOrder !== 'Forward') inRange.reverse();
  const start =
    typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0 || start > inRange.length)
    throw new SimError('InvalidNextTokenException', 'The nextToken is invalid', 400);
  const page = inRange.slice(start, start + (limit || 10));
  const end = start + page.length;
  return {
    configurationItems: page.map((i) => item(rs, resourceId, i)),
    ...(end < inRange.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}

function item(rs: RegionState, groupId: string, i: ConfigItem) {
  return {
    version: '1.3',
    accountId: rs.accountId,
    configurationItemCaptureTime: i.capturedAt / 1000,
    configurationItemStatus: i.status,
    configurationStateId: i.stateId,
    arn: `arn:aws:ec2:${rs.region}:${rs.accountId}:security-group/${groupId}`,
    resourceType: RESOURCE_TYPE,
    resourceId: groupId,
    awsRegion: rs.region,
    availabilityZone: 'Not Applicable',
    tags: {},
    relatedEvents: i.relatedEvents,
    relationships: [],
    configuration: i.configuration,
    supplementaryConfiguration: {},
  };
}
