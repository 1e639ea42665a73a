// Shared shapes of the revert function. Everything here is plain data; the AWS calls sit behind the two ports.

export type Direction = 'ingress' | 'egress';
export type Action =
  | 'reverted'
  | 'restored'
  | 'allowed'
  | 'monitored'
  | 'ignored'
  | 'failed'
  | 'approved'
  | 'expired'
  | 'forged'
  | 'refused';
export type EventName =
  | 'AuthorizeSecurityGroupIngress'
  | 'AuthorizeSecurityGroupEgress'
  | 'ModifySecurityGroupRules'
  | 'CreateTags'
  | 'DeleteTags'
  | 'CreateSecurityGroup'
  | SideDoorName;

/** The calls that widen access without touching a rule (issue N): prefix lists, VPC associations, attachments. */
export type SideDoorName =
  | 'ModifyManagedPrefixList'
  | 'RestoreManagedPrefixListVersion'
  | 'AssociateSecurityGroupVpc'
  | 'ModifyNetworkInterfaceAttribute'
  | 'ModifyInstanceAttribute';

/** One permission of an Authorize request, normalised from CloudTrail's camelCase `items` form. */
export interface Permission {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  ipRanges: string[];
  ipv6Ranges: string[];
  prefixListIds: string[];
  groups: { groupId?: string; groupName?: string; userId?: string }[];
}

/** A rule as the response (securityGroupRuleSet) or a Modify request describes it. */
export interface RuleValues {
  ruleId: string;
  groupId?: string;
  /** undefined when the event does not say (Modify requests). */
  isEgress?: boolean;
  ipProtocol?: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
  referencedUserId?: string;
  description?: string;
}

export interface Principal {
  arn?: string;
  /**
   * The session's issuer (sessionContext.sessionIssuer.arn: a role, or for a federated user the IAM user), else derived
   * from an assumed-role ARN.
   */
  roleArn?: string;
  /** userIdentity.type: AssumedRole, IAMUser, FederatedUser, Root, AWSService, … */
  type?: string;
  invokedBy?: string;
}

/** What the function acts on: the validated content of one Authorize* or Modify event. */
export type Change =
  | { kind: 'rule-ids'; direction: Direction; groupId?: string; groupName?: string; rules: RuleValues[] }
  | { kind: 'permissions'; direction: Direction; groupId?: string; groupName?: string; permissions: Permission[] }
  | { kind: 'modify'; groupId: string; rules: RuleValues[] }
  /** CreateTags/DeleteTags (and CreateSecurityGroup's tags) that touch a guardrail:* key or a configured scope key */
  | {
      kind: 'tags';
      op: 'create' | 'delete';
      resources: string[];
      tags: { key: string; value?: string }[];
      groupId?: string;
      all?: boolean;
    }
  /**
   * ModifyManagedPrefixList / RestoreManagedPrefixListVersion: the list, and the version the request says it changed
   * (CurrentVersion; a pointer only: the entries are read from EC2 at that version and the next).
   */
  | { kind: 'prefix-list'; groupId?: undefined; prefixListId: string; fromVersion?: number; entries?: false }
  /** AssociateSecurityGroupVpc: the group and the VPC it was associated with (read back before anything is done) */
  | { kind: 'associate'; groupId: string; vpcId: string }
  /**
   * ModifyNetworkInterfaceAttribute / ModifyInstanceAttribute with a group set: the interface's or instance's groups
   */
  | { kind: 'attach'; groupId?: undefined; groupIds: string[]; networkInterfaceId?: string; instanceId?: string };

export interface EventMeta {
  eventId: string | null;
  eventName: string | null;
  account: string | null;
  region: string | null;
}

/** Where and when the call came from, as CloudTrail recorded it (for the decision log; never acted on). */
export interface Origin {
  eventTime: string | null;
  sourceIPAddress: string | null;
  userAgent: string | null;
}

export type ParsedEvent =
  | { ok: true; meta: EventMeta & { eventName: EventName }; origin: Origin; principal: Principal; change: Change }
  | {
      ok: false;
      meta: EventMeta;
      origin: Origin;
      direction: Direction | null;
      groupId: string | null;
      reason: string;
      unreadable?: boolean;
    };

export interface Decision {
  groupId: string | null;
  ruleIds: string[];
  direction: Direction | null;
  action: Action;
  reason: string;
  /** the rules' values when the decider knows them and the event does not say (the sweep): for the log line */
  rules?: { ruleId?: string; protocol: string; fromPort?: number; toPort?: number; source: string }[];
  /** approved, expired, forged: the approval that applied (see approvals.ts) */
  approvalId?: string;
  approver?: string;
  expiresAt?: string;
  /** a modified rule: its previous definition (guardrail's record or AWS Config's) and the one EC2 holds now */
  before?: RuleDefinition;
  after?: RuleDefinition;
  /** a prefix-list change: the list, its versions before and after, and the entries the change added and removed */
  prefixListId?: string;
  versionBefore?: number;
  versionAfter?: number;
  entriesAdded?: string[];
  entriesRemoved?: string[];
  /** an association (the VPC the group was associated with) or an attachment (the interface's VPC) */
  vpcId?: string;
  networkInterfaceId?: string;
  instanceId?: string;
}

export interface Result extends EventMeta {
  decisions: Decision[];
}

export interface Config {
  mode: 'enforce' | 'monitor';
  allowPrincipals: string[];
  exemptTag?: { key: string; value: string };
  exemptGroups: string[];
  onlyVpcs: string[];
  onlyTag?: { key: string; value: string };
  /** ModifySecurityGroupRules: restore a widened rule's previous definition, revoke it, or only report it */
  onModify: 'restore' | 'revoke' | 'alert';
  /** restore, when no source knows the previous definition: report it, or revoke a rule open to the world */
  onModifyUnknown: 'alert' | 'revoke-if-wider-than-before-unknown';
  /** the table of rule records, by ARN, beside the approval store (rule-records.ts); unset: no records */
  rulesTable?: { tableArn: string; region: string };
  notifyTopicArn?: string;
  selfRoleArn?: string;
  directions: Direction[];
  /** The region the function runs in; events from elsewhere are ignored. Unset: no check. */
  region?: string;
  /** Time-boxed approvals: the store's table ARN and what to do when it cannot be read. Unset: no approvals. */
  approvals?: { tableArn: string; region: string; onLookupError: 'revert' | 'keep' };
  /** Actions that are notified (notify.on); the default is every action but `ignored`. */
  notifyOn: Action[];
  /** The queue the rule delivers into: only its in-flight messages are acted on (provenance). */
  queue?: { url: string; arn: string };
  /** The stack's dead-letter queue: a retry reads the events waiting there (and only there). */
  deadLetterQueue?: { url: string };
  /** A decision that rests on a scope tag is held this long, then decided on the tags as they are then. */
  settleSeconds: number;
  /** onLookupError keep: how long a rule is kept while the store cannot be read. */
  graceMinutes: number;
  /** The account the function runs in (from its own role ARN). */
  account?: string;
  /** Customer-managed prefix lists of this account: who may change them, what may be added, which lists are exempt. */
  prefixLists: { principals: string[]; cidrs: string[]; exempt: string[] };
  /** AssociateSecurityGroupVpc of a group open to the world into an in-scope VPC: disassociate it, or only report it */
  onAssociate: 'revert' | 'report';
  /** Configuration problems, reported in every decision's log line but never fatal. */
  warnings: string[];
}

export interface GroupInfo {
  groupId: string;
  vpcId?: string;
  tags: Record<string, string>;
  /** the other VPCs the group is associated with (AssociateSecurityGroupVpc), when the scope check needed them */
  associatedVpcs?: string[];
}

/**
 * What a rule grants, and its description: a protocol, its ports (ICMP: type and code), one source (or, for egress,
 * destination). The fields are DescribeSecurityGroupRules' own.
 */
export interface RuleDefinition {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
  referencedUserId?: string;
  description?: string;
}

/** A rule of a group as DescribeSecurityGroupRules reports it: one source per rule. */
export interface GroupRule extends RuleDefinition {
  ruleId: string;
  isEgress: boolean;
}

/** A rule looked up by id: its group, direction and definition as EC2 holds them. */
export interface RuleInfo extends GroupRule {
  groupId: string;
}

export interface TaggedRule extends GroupRule {
  groupId: string;
  tags: Record<string, string>;
}

/** Wire-level revoke request: either rule ids or permissions, never both. */
export interface RevokeRequest {
  direction: Direction;
  groupId: string;
  ruleIds?: string[];
  permissions?: Permission[];
}

/** The narrow EC2 surface the function needs. Errors are thrown as the SDK throws them (err.name = AWS code). */
export interface Ec2Port {
  /** DescribeSecurityGroups by id or (default VPC) by name; undefined when the group does not exist. */
  describeGroup(query: { groupId?: string; groupName?: string }): Promise<GroupInfo | undefined>;
  describeRules(ruleIds: string[]): Promise<RuleInfo[]>;
  /** Every rule of the group (DescribeSecurityGroupRules filtered by group-id). */
  groupRules(groupId: string): Promise<GroupRule[]>;
  /** Rules of this account and region that carry the tag key, with their tags (sweep). */
  taggedRules(key: string): Promise<TaggedRule[]>;
  tagRules(ruleIds: string[], tags: Record<string, string>): Promise<void>;
  /** DeleteTags on any resources (keys only: whatever the value). */
  untag(resources: string[], keys: string[]): Promise<void>;
  /** Returns how many permissions EC2 reported back as UnknownIpPermissions. */
  revoke(request: RevokeRequest): Promise<{ unknownPermissions: number }>;
  /** ModifySecurityGroupRules: each rule keeps its id, tags and direction, and gets the definition given. */
  modifyRules(groupId: string, rules: { ruleId: string; definition: RuleDefinition }[]): Promise<void>;
  /** DescribeManagedPrefixLists by id; undefined when there is no such list. */
  describePrefixList(prefixListId: string): Promise<PrefixListInfo | undefined>;
  /** GetManagedPrefixListEntries at a version (every page): the CIDRs. */
  prefixListEntries(prefixListId: string, version: number): Promise<string[]>;
  /** RestoreManagedPrefixListVersion: fails when the list is no longer at currentVersion. */
  restorePrefixList(prefixListId: string, previousVersion: number, currentVersion: number): Promise<void>;
  /** DescribeSecurityGroupVpcAssociations filtered by group id. */
  groupVpcAssociations(groupId: string): Promise<{ vpcId: string; state: string }[]>;
  disassociateGroupVpc(groupId: string, vpcId: string): Promise<void>;
  /** DescribeNetworkInterfaces by id, or DescribeInstances' interfaces of an instance: each one's VPC and groups. */
  interfaces(query: { networkInterfaceId?: string; instanceId?: string }): Promise<InterfaceInfo[]>;
}

export interface PrefixListInfo {
  prefixListId: string;
  /** the owning account, or "AWS" for an AWS-managed list */
  ownerId: string;
  version: number;
  state: string;
}

export interface InterfaceInfo {
  networkInterfaceId: string;
  vpcId?: string;
  groupIds: string[];
}

/** A message the function received from its own dead-letter queue: SQS's fields, every one still untrusted text. */
export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** SentTimestamp (epoch ms): when the event first reached a queue (SQS keeps it when it moves a message) */
  sentAt: number;
  /** ApproximateReceiveCount in the dead-letter queue */
  receiveCount: number;
  /** DeadLetterQueueSourceArn: set by SQS alone, on a message it moved here from a source queue's redrive */
  sourceQueueArn?: string;
}

/**
 * The SQS calls the function makes itself: ChangeMessageVisibility proves a record is an in-flight message of its own
 * event queue; the rest read, and delete from, its own dead-letter queue when it is asked to retry.
 */
export interface SqsPort {
  changeVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void>;
  /**
   * long polling for `waitSeconds`: a short poll samples some of SQS's servers and may answer nothing while messages
   * wait
   */
  receive(queueUrl: string, max: number, visibilitySeconds: number, waitSeconds: number): Promise<DeadLetter[]>;
  delete(queueUrl: string, receiptHandle: string): Promise<void>;
  /** ApproximateNumberOfMessages: the messages waiting (visible) */
  depth(queueUrl: string): Promise<number>;
}

export interface SnsPort {
  publish(topicArn: string, subject: string, message: string): Promise<void>;
}
