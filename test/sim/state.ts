// The simulator's whole state: plain data, so GET /_sim/state can serialise it.
// Services own their slices; the CloudFormation engine creates resources into the same maps that the
// Lambda, EventBridge, CloudTrail, SNS and EC2 services read.
import type { SimRandom } from './random.js';
import type { SimClock } from './clock.js';

export type AccountStatus = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';

export interface OrgAccount {
  id: string;
  name: string;
  email: string;
  status: AccountStatus;
  parentId: string;
  joinedMethod: 'INVITED' | 'CREATED';
  joinedTimestamp: string;
  /** regions enabled in this account (EC2 DescribeRegions) */
  enabledRegions: string[];
  /** Organizations tags on the account (TagResource from the management account) */
  tags?: Record<string, string>;
}

export interface OrgUnit {
  id: string;
  name: string;
  parentId: string;
}

export interface Organization {
  id: string;
  rootId: string;
  managementAccountId: string;
  ous: Map<string, OrgUnit>;
  accounts: Map<string, OrgAccount>;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  roleName: string;
  roleArn: string;
  sessionName: string;
  expiresAt: number;
  /** when AssumeRole issued them (epoch ms; CloudTrail's sessionContext.attributes.creationDate) */
  issuedAt?: number;
  /** true when the caller that assumed it was itself an assumed role (role chaining) */
  chained: boolean;
}

export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  assumeRolePolicyDocument: unknown;
  /** inline policies by name */
  policies: Record<string, unknown>;
  managedPolicyArns: string[];
  createDate: string;
  /** IAM's MaxSessionDuration in seconds (AssumeRole's DurationSeconds limit); 3600 when unset */
  maxSessionDuration?: number;
}

export interface SecurityGroupRule {
  ruleId: string;
  groupId: string;
  groupOwnerId: string;
  isEgress: boolean;
  ipProtocol: string;
  fromPort: number;
  toPort: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroup?: { groupId: string; userId: string; vpcId?: string };
  description?: string;
  tags: Record<string, string>;
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  tags: Record<string, string>;
  /** rule ids in creation order */
  rules: Map<string, SecurityGroupRule>;
}

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
}

/** One entry of a managed prefix list. */
export interface PrefixListEntry {
  cidr: string;
  description?: string;
}

/**
 * A customer-managed prefix list (services/ec2-network.ts). Every version's entries are kept: version 1 is the list as
 * created, each change of the entries (ModifyManagedPrefixList, RestoreManagedPrefixListVersion) adds the next one.
 */
export interface ManagedPrefixList {
  prefixListId: string;
  prefixListName: string;
  addressFamily: 'IPv4' | 'IPv6';
  maxEntries: number;
  ownerId: string;
  /** `create-complete`, `modify-complete`, `restore-complete`: the operation that made the current version */
  state: string;
  version: number;
  tags: Record<string, string>;
  /** entries by version */
  versions: Map<number, PrefixListEntry[]>;
  /** accounts the owner shared it with through AWS RAM (POST /_sim/prefix-list-shares); changes stay the owner's */
  sharedWith: string[];
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  defaultForAz: boolean;
  /** the next host number to hand out (AWS keeps the first four addresses of a subnet) */
  nextHost: number;
}

export interface NetworkInterface {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  /** security group ids, in the order given */
  groups: string[];
  privateIpAddress: string;
  macAddress: string;
  sourceDestCheck: boolean;
  tags: Record<string, string>;
  attachment?: { attachmentId: string; instanceId: string; deviceIndex: number; attachTime: string };
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  vpcId: string;
  launchTime: string;
  /** its network interfaces, the primary (device index 0) first */
  networkInterfaceIds: string[];
  tags: Record<string, string>;
}

/** A security group associated with a VPC other than its own (AssociateSecurityGroupVpc). */
export interface SecurityGroupVpcAssociation {
  groupId: string;
  vpcId: string;
  vpcOwnerId: string;
  groupOwnerId: string;
  state: 'associated';
}

export interface LambdaFunction {
  functionName: string;
  functionArn: string;
  runtime: string;
  handler: string;
  role: string;
  architectures: string[];
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  description: string;
  /** the JavaScript source (index.js for Code.ZipFile) */
  code: string;
  /** file name inside the zip, e.g. index.js */
  codeFileName: string;
  codeSha256: string;
  codeSize: number;
  lastModified: string;
  revisionId: string;
  version: string;
  tags: Record<string, string>;
  /** EventInvokeConfig */
  invokeConfig?: {
    maximumRetryAttempts?: number;
    maximumEventAgeInSeconds?: number;
    onFailure?: string;
    onSuccess?: string;
  };
  /** LoggingConfig.LogGroup; Lambda's default is /aws/lambda/FUNCTION_NAME */
  logGroup?: string;
  /** resource policy statements (AWS::Lambda::Permission) */
  permissions: { sid: string; principal: string; action: string; sourceArn?: string; sourceAccount?: string }[];
  /** ReservedConcurrentExecutions: at most this many invocations run at once (0: none runs); unset: unreserved */
  reservedConcurrency?: number;
}

/**
 * A CloudWatch metric alarm, as AWS::CloudWatch::Alarm (PutMetricAlarm) creates it, evaluated on the clock (alarms.ts).
 */
export interface MetricAlarm {
  name: string;
  arn: string;
  description?: string;
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  statistic: string;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator: string;
  treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  stateReason: string;
  stateUpdatedAt: string;
  /** the latest datapoints, newest last: the value, or null for a period without data */
  datapoints: (number | null)[];
  /** when the alarm last evaluated (epoch ms), so that each period is judged once */
  evaluatedAt?: number;
}

export interface EventTarget {
  id: string;
  arn: string;
  roleArn?: string;
  input?: string;
  /** DeadLetterConfig.Arn: the SQS queue that receives events EventBridge could not deliver */
  deadLetterArn?: string;
  /** RetryPolicy (PutTargets shape) */
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
}

export interface EventRule {
  name: string;
  arn: string;
  eventBusName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: EventTarget[];
}

export interface Trail {
  name: string;
  arn: string;
  homeRegion: string;
  s3BucketName: string;
  s3KeyPrefix?: string;
  isMultiRegionTrail: boolean;
  isOrganizationTrail: boolean;
  includeGlobalServiceEvents: boolean;
  logFileValidationEnabled: boolean;
  isLogging: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
}

export interface Bucket {
  name: string;
  region: string;
  /** declared properties as CloudFormation set them (encryption, versioning, lifecycle, public access block, …) */
  properties: Record<string, unknown>;
  policy?: unknown;
  /** number of objects (audit logs) held; removal must never lose these */
  objectCount: number;
  /** the account that created it through S3's CreateBucket (unset: a stack's bucket, the management account's) */
  owner?: string;
  /** objects written through S3's PutObject, by key */
  objects?: Map<string, S3Object>;
  /** PutBucketTagging's tags */
  tags?: Record<string, string>;
  /** the configuration documents S3's Put* calls set, by name (PublicAccessBlock, Encryption, …), as sent */
  config?: Record<string, string>;
}

export interface S3Object {
  body: string;
  contentType: string;
  /** epoch ms on the simulator's clock */
  lastModified: number;
  etag: string;
  /** x-amz-checksum-sha256 as the writer sent it (base64) */
  sha256?: string;
}

export interface SnsTopic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
  subscriptions: { arn: string; protocol: string; endpoint: string }[];
  tags: Record<string, string>;
}

export interface SnsMessage {
  topicArn: string;
  messageId: string;
  subject?: string;
  message: string;
  attributes?: Record<string, unknown>;
  publishedBy: string;
  at: string;
}

/** One message of an SQS queue (services/sqs.ts). Times are epoch ms on the simulator's clock. */
export interface SqsMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  /** ISO time it was sent */
  sentAt: string;
  sentAtMs: number;
  /** the sender's ARN (a role session, root, a function, or the service principal) */
  sentBy: string;
  /** SQS's SenderId attribute: the principal id (AROA…:session, the account id for root) */
  senderId: string;
  messageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  /** system attributes SQS adds (DeadLetterQueueSourceArn after a redrive) */
  systemAttributes?: Record<string, string>;
  /** not visible before this time (a delay, or the visibility timeout of a receive) */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  lastReceivedAt?: number;
  /** the receipt handle of the latest receive */
  receiptHandle?: string;
}

export interface SqsQueue {
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string>;
  /** messages held by the queue, in the order sent (stored, delayed and in flight; deleted ones are removed) */
  messages?: SqsMessage[];
  /** every receipt handle issued → its message id; a deleted message's handles map to '' */
  handles?: Map<string, string>;
  /** epoch ms of the last PurgeQueue (one per 60 s) */
  purgedAt?: number;
}

/** A Lambda event source mapping (an SQS queue polled for a function). */
export interface EventSourceMapping {
  uuid: string;
  arn: string;
  eventSourceArn: string;
  functionArn: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  functionResponseTypes: string[];
  enabled: boolean;
  /** epoch ms (simulated clock) */
  lastModified: number;
  lastProcessingResult: string;
  /** ScalingConfig.MaximumConcurrency */
  maximumConcurrency?: number;
}

export interface LogGroup {
  name: string;
  arn: string;
  retentionInDays?: number;
  kmsKeyId?: string;
  /** epoch ms on the simulator's clock */
  creationTime?: number;
  /** CloudWatch Logs streams, by name (services/logs.ts) */
  streams?: Map<string, LogStream>;
}

export interface LogEvent {
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
}

export interface LogStream {
  name: string;
  creationTime: number;
  /** in the order written; timestamps ascending within a stream */
  events: LogEvent[];
}

/** A DynamoDB table (services/dynamodb.ts): its key schema, items by key, TTL and resource-based policy. */
export interface DynamoTable {
  name: string;
  arn: string;
  tableId: string;
  hashKey: string;
  rangeKey?: string;
  billingMode: string;
  /** items by their key (services/dynamodb.ts keyOf) */
  items: Map<string, Record<string, Record<string, unknown>>>;
  ttl?: { attributeName: string; enabled: boolean };
  /** AWS::DynamoDB::Table ResourcePolicy.PolicyDocument, or PutResourcePolicy */
  resourcePolicy?: unknown;
  createdAt: string;
  /** declared properties not modelled above (point-in-time recovery, SSE, deletion protection, tags) */
  properties: Record<string, unknown>;
}

/** One invocation of a function by the closed loop (EventBridge → Lambda). */
export interface Invocation {
  functionArn: string;
  requestId: string;
  eventId: string;
  startedAt: string;
  durationMs: number;
  status: 'succeeded' | 'failed';
  result?: unknown;
  error?: { name: string; message: string };
  attempt: number;
  logs: string[];
}

/** An event EventBridge could not deliver to a target (SQS queue policy refusal, missing queue). */
export interface TargetFailure {
  ruleArn: string;
  targetArn: string;
  eventId: string;
  at: string;
  errorCode: string;
  errorMessage: string;
  /** the target's dead-letter queue, when the event went there */
  deadLetterArn?: string;
  /** why the dead-letter queue did not take it either */
  deadLetterError?: string;
}

/** A CloudTrail event produced by the simulator (EventBridge envelope) and where it went. */
export interface RecordedEvent {
  event: Record<string, unknown>;
  matchedRules: string[];
}

export type StackStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_FAILED'
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_FAILED'
  | 'ROLLBACK_COMPLETE'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_FAILED'
  | 'DELETE_COMPLETE'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_FAILED'
  | 'UPDATE_ROLLBACK_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'REVIEW_IN_PROGRESS';

/** Everything one account holds in one region. */
/** One AWS Config configuration item of a security group (services/config.ts). */
export interface ConfigItem {
  /** epoch milliseconds, on the simulated clock */
  capturedAt: number;
  status: 'ResourceDiscovered' | 'OK' | 'ResourceDeleted';
  /** the group as Config records it (a JSON string, as GetResourceConfigHistory returns it) */
  configuration: string;
  stateId: string;
  /** the CloudTrail event ids of the calls that made this change */
  relatedEvents: string[];
}

export interface RegionState {
  accountId: string;
  region: string;
  vpcs: Map<string, Vpc>;
  securityGroups: Map<string, SecurityGroup>;
  functions: Map<string, LambdaFunction>;
  rules: Map<string, EventRule>;
  trails: Map<string, Trail>;
  topics: Map<string, SnsTopic>;
  queues: Map<string, SqsQueue>;
  logGroups: Map<string, LogGroup>;
  /** DynamoDB tables by name */
  tables: Map<string, DynamoTable>;
  /** Lambda event source mappings by UUID (created on first use) */
  eventSourceMappings?: Map<string, EventSourceMapping>;
  /** EventBridge deliveries to SQS targets that were refused or went to a target's dead-letter queue */
  targetFailures?: TargetFailure[];
  /** CloudWatch metric alarms by name (AWS::CloudWatch::Alarm) */
  alarms?: Map<string, MetricAlarm>;
  /** invocations Lambda throttled (reserved concurrency): the Throttles metric */
  throttles?: { functionArn: string; at: string }[];
  snsMessages: SnsMessage[];
  invocations: Invocation[];
  events: RecordedEvent[];
  /** CloudFormation's slice: owned by services/cloudformation */
  cfn: unknown;
  /**
   * AWS Config's recorder for AWS::EC2::SecurityGroup (POST /_sim/config): while `recording`, every change of a group
   * adds a configuration item; the items stay when recording stops. Unset: this account and region have no recorder.
   */
  configRecorder?: { recording: boolean; items: Map<string, ConfigItem[]> };
  /** EC2 networking (services/ec2-network.ts), each created on first use: customer-managed prefix lists by id */
  prefixLists?: Map<string, ManagedPrefixList>;
  subnets?: Map<string, Subnet>;
  networkInterfaces?: Map<string, NetworkInterface>;
  instances?: Map<string, Instance>;
  /** AssociateSecurityGroupVpc's associations, by `GROUP|VPC` */
  groupVpcAssociations?: Map<string, SecurityGroupVpcAssociation>;
}

export interface AccountState {
  id: string;
  roles: Map<string, IamRole>;
  regions: Map<string, RegionState>;
}

export interface Faults {
  latencyMs: number;
  throttleRate: number;
  denyAssume: string[];
  /** accounts whose AssumeRole answers STS's 503 ServiceUnavailable (the endpoint cannot serve; not a refusal) */
  unavailableAssume?: string[];
  /** ACCOUNT or ACCOUNT:REGION */
  failStack: string[];
  /** when non-empty, throttleRate applies only to these services (signing names, e.g. ["dynamodb"]) */
  throttleServices?: string[];
  /** accounts whose stack operations fail drift detection (status UNKNOWN) */
  failDrift: string[];
  /** accounts whose RevokeSecurityGroupIngress/Egress calls fail with a transient error (failRevokeError) */
  failRevoke?: string[];
  /** which: EC2's 503 RequestLimitExceeded (throttling, the default) or its 500 InternalError */
  failRevokeError?: 'RequestLimitExceeded' | 'InternalError';
  suspended: string[];
}

export interface CallCount {
  service: string;
  operation: string;
  account: string;
  region: string;
  count: number;
  throttled: number;
  errors: number;
}

export interface SimState {
  partition: 'aws';
  regions: string[];
  stackMs: number;
  seed: number;
  org: Organization;
  accounts: Map<string, AccountState>;
  /** S3 buckets are global per partition */
  buckets: Map<string, Bucket>;
  credentials: Map<string, Credentials>;
  faults: Faults;
  /** key: service|operation|account|region */
  calls: Map<string, CallCount>;
  /** every random draw (faults, keys, request and resource ids), seeded */
  random: SimRandom;
  /** simulated time: real time plus what tests advanced */
  clock: SimClock;
}

export function accountState(state: SimState, accountId: string): AccountState {
  let acct = state.accounts.get(accountId);
  if (!acct) {
    acct = { id: accountId, roles: new Map(), regions: new Map() };
    state.accounts.set(accountId, acct);
  }
  return acct;
}

/** The account-region slice, created on first use (with its default VPC and default security group). */
export function regionState(state: SimState, accountId: string, region: string): RegionState {
  const acct = accountState(state, accountId);
  let rs = acct.regions.get(region);
  if (!rs) {
    rs = {
      accountId,
      region,
      vpcs: new Map(),
      securityGroups: new Map(),
      functions: new Map(),
      rules: new Map(),
      trails: new Map(),
      topics: new Map(),
      queues: new Map(),
      logGroups: new Map(),
      tables: new Map(),
      snsMessages: [],
      invocations: [],
      events: [],
      cfn: undefined,
    };
    acct.regions.set(region, rs);
    const vpcId = `vpc-${hexId(state, 17)}`;
    rs.vpcs.set(vpcId, { vpcId, cidrBlock: '172.31.0.0/16', isDefault: true });
    const sgId = `sg-${hexId(state, 17)}`;
    const sg: SecurityGroup = {
      groupId: sgId,
      groupName: 'default',
      description: 'default VPC security group',
      vpcId,
      ownerId: accountId,
      tags: {},
      rules: new Map(),
    };
    rs.securityGroups.set(sgId, sg);
    // AWS's default group: all traffic from itself, all traffic out to 0.0.0.0/0
    const inRule = `sgr-${hexId(state, 17)}`;
    sg.rules.set(inRule, {
      ruleId: inRule,
      groupId: sgId,
      groupOwnerId: accountId,
      isEgress: false,
      ipProtocol: '-1',
      fromPort: -1,
      toPort: -1,
      referencedGroup: { groupId: sgId, userId: accountId },
      tags: {},
    });
    const outRule = `sgr-${hexId(state, 17)}`;
    sg.rules.set(outRule, {
      ruleId: outRule,
      groupId: sgId,
      groupOwnerId: accountId,
      isEgress: true,
      ipProtocol: '-1',
      fromPort: -1,
      toPort: -1,
      cidrIpv4: '0.0.0.0/0',
      tags: {},
    });
  }
  return rs;
}

/** A pseudo-random hex id from the seeded ids stream, e.g. for sg-, sgr-, vpc- ids. */
export function hexId(state: SimState, length: number): string {
  return state.random.ids.hex(length);
}

/** A version-4-shaped UUID from the seeded ids stream (stack ids, event ids, revision ids, message ids). */
export function newUuid(state: SimState): string {
  return state.random.ids.uuid();
}
