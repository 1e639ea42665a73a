// One decision line from a function's log, read back as an activity row. The lines are written by our function, but
// anyone who can write to the log group can write anything: every field is checked and bounded, never trusted.

export interface ActivityRule {
  ruleId?: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source: string;
}

export interface ActivityRow {
  /** the call's time (eventTime), else the log event's time; ISO 8601 */
  time: string;
  account: string;
  accountName: string;
  region: string;
  eventName: string | null;
  eventId: string | null;
  groupId: string | null;
  vpcId: string | null;
  direction: string | null;
  rules: ActivityRule[];
  rulesOmitted: number;
  principal: string | null;
  /** the session's issuer (a role session's role, a federated user's IAM user); lines before issue L have none */
  roleArn?: string | null;
  sourceIPAddress: string | null;
  userAgent: string | null;
  action: string;
  reason: string;
  approvalId: string | null;
  /**
   * a modified rule: the definition it had before (restored to, when the action is `restored`) and the one it was given
   */
  before?: ActivityDefinition;
  after?: ActivityDefinition;
  /** the side doors (issue N): a prefix list's change, and the interface or instance of an attachment */
  prefixListId?: string;
  versionBefore?: number;
  versionAfter?: number;
  entriesAdded?: string[];
  entriesRemoved?: string[];
  networkInterfaceId?: string;
  instanceId?: string;
}

export interface ActivityDefinition {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source: string;
  description?: string;
}

const text = (v: unknown, max = 512): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : null);
const port = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= -1 && v <= 65535 ? v : undefined;

function rules(v: unknown): ActivityRule[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, 100).flatMap((r): ActivityRule[] => {
    if (typeof r !== 'object' || r === null) return [];
    const o = r as Record<string, unknown>;
    const ruleId = text(o.ruleId, 64);
    const fromPort = port(o.fromPort);
    const toPort = port(o.toPort);
    return [
      {
        ...(ruleId ? { ruleId } : {}),
        protocol: text(o.protocol, 16) ?? '?',
        ...(fromPort !== undefined ? { fromPort } : {}),
        ...(toPort !== undefined ? { toPort } : {}),
        source: text(o.source, 128) ?? '?',
      },
    ];
  });
}

function definition(v: unknown): ActivityDefinition | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const protocol = text(o.protocol, 16);
  const source = text(o.source, 128);
  if (!protocol || !source) return undefined;
  const fromPort = port(o.fromPort);
  const toPort = port(o.toPort);
  const description = text(o.description, 255);
  return {
    protocol,
    ...(fromPort !== undefined ? { fromPort } : {}),
    ...(toPort !== undefined ? { toPort } : {}),
    source,
    ...(description ? { description } : {}),
  };
}

/** A log event's message as a row of this target, or undefined when it is not a decision line. */
export function parseDecisionLine(
  message: string,
  timestamp: number,
  target: { account: string; accountName: string; region: string },
): ActivityRow | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const o = doc as Record<string, unknown>;
  const action = text(o.action, 32);
  if (!action || !/^[a-z]+$/.test(action)) return undefined;
  const eventTime = text(o.eventTime, 64);
  const parsed = eventTime ? Date.parse(eventTime) : NaN;
  const omitted = typeof o.rulesOmitted === 'number' && o.rulesOmitted > 0 ? Math.floor(o.rulesOmitted) : 0;
  return {
    time: new Date(Number.isFinite(parsed) ? parsed : timestamp).toISOString(),
    // the target we read is authoritative for where the line came from, not the line itself
    account: target.account,
    accountName: target.accountName,
    region: target.region,
    eventName: text(o.eventName, 128),
    eventId: text(o.eventId, 128),
    groupId: text(o.groupId, 64),
    vpcId: text(o.vpcId, 64),
    direction: text(o.direction, 16),
    rules: rules(o.rules),
    rulesOmitted: omitted,
    principal: text(o.principal, 2048),
    roleArn: text(o.roleArn, 2048),
    sourceIPAddress: text(o.sourceIPAddress, 256),
    userAgent: text(o.userAgent, 1024),
    action,
    reason: text(o.reason, 1024) ?? '',
    approvalId: text(o.approvalId, 128),
    ...withDefinitions(definition(o.before), definition(o.after)),
    ...sideDoor(o),
  };
}

const version = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
const cidrs = (v: unknown): string[] | undefined =>
  Array.isArray(v)
    ? v.slice(0, 100).flatMap((c) => {
        const t = text(c, 64);
        return t ? [t] : [];
      })
    : undefined;

/** The side doors' fields, each checked and bounded, and left out when absent. */
function sideDoor(o: Record<string, unknown>): Partial<ActivityRow> {
  const out: Partial<ActivityRow> = {
    prefixListId: text(o.prefixListId, 64) ?? undefined,
    versionBefore: version(o.versionBefore),
    versionAfter: version(o.versionAfter),
    entriesAdded: cidrs(o.entriesAdded),
    entriesRemoved: cidrs(o.entriesRemoved),
    networkInterfaceId: text(o.networkInterfaceId, 64) ?? undefined,
    instanceId: text(o.instanceId, 64) ?? undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** What a side-door row changed, in one cell: `v1→v2 +0.0.0.0/0 -10.2.0.0/16`, `on eni-… (i-…)`; else undefined. */
export function sideDoorText(r: ActivityRow): string | undefined {
  if (r.prefixListId) {
    const versions =
      r.versionBefore !== undefined && r.versionAfter !== undefined ? `v${r.versionBefore}→v${r.versionAfter} ` : '';
    const entries = [
      ...(r.entriesAdded ?? []).map((c) => `+${c}`),
      ...(r.entriesRemoved ?? []).map((c) => `-${c}`),
    ].join(' ');
    return `${versions}${entries}`.trim() || r.prefixListId;
  }
  if (r.networkInterfaceId || r.instanceId) {
    return `on ${r.networkInterfaceId ?? r.instanceId}${r.networkInterfaceId && r.instanceId ? ` (${r.instanceId})` : ''}`;
  }
  return undefined;
}

const withDefinitions = (before?: ActivityDefinition, after?: ActivityDefinition) => ({
  ...(before ? { before } : {}),
  ...(after ? { after } : {}),
});

/** `tcp/22 0.0.0.0/0`, `all 10.0.0.0/8`, `udp/53-54 pl-123` */
export function ruleText(r: ActivityRule): string {
  const proto = r.protocol === '-1' ? 'all' : r.protocol;
  const ports =
    r.protocol === '-1' || r.fromPort === undefined
      ? ''
      : r.fromPort === r.toPort || r.toPort === undefined
        ? `/${r.fromPort}`
        : `/${r.fromPort}-${r.toPort}`;
  return `${proto}${ports} ${r.source}`;
}
