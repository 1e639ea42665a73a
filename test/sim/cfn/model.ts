// CloudFormation's slice of the simulator state (RegionState.cfn): stacks, their resources and events, change sets,
// drift detections. Stack operations are timelines of steps computed when the operation starts and run lazily, when
// the stack is next read (or by the region sweeper), so thousands of stacks cost no timers.
import type { RegionState, StackStatus } from '../state.js';
import type { ResolvedParameter } from './intrinsics.js';
import type { Template } from './template.js';

export interface ResourceDrift {
  status: 'IN_SYNC' | 'MODIFIED' | 'DELETED' | 'NOT_CHECKED';
  checkedAt: number;
  expected?: string;
  actual?: string;
  differences: {
    PropertyPath: string;
    ExpectedValue: string;
    ActualValue: string;
    DifferenceType: 'ADD' | 'REMOVE' | 'NOT_EQUAL';
  }[];
}

export interface StackResource {
  logicalId: string;
  type: string;
  physicalId: string;
  /** evaluated properties (AWS::NoValue removed) */
  props: Record<string, unknown>;
  attrs: Record<string, unknown>;
  status: string;
  statusReason?: string;
  updatedAt: number;
  deletionPolicy?: string;
  updateReplacePolicy?: string;
  drift?: ResourceDrift;
}

export interface StackEvent {
  StackId: string;
  EventId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType: string;
  Timestamp: Date;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  /** the resource's properties, serialised as ResourceProperties only when described (shared, not copied) */
  props?: Record<string, unknown>;
  ClientRequestToken?: string;
}

export interface Step {
  /** milliseconds after the operation started */
  at: number;
  run(at: number): void;
  /** the step changes the state maps (the sweeper makes sure it runs on time) */
  commit?: boolean;
}

export interface Operation {
  kind: 'create' | 'update' | 'delete';
  startedAt: number;
  steps: Step[];
  next: number;
  token?: string;
  changeSetId?: string;
}

export interface StackOutput {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
  ExportName?: string;
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface ChangeSetChange {
  Type: 'Resource';
  ResourceChange: {
    Action: 'Add' | 'Modify' | 'Remove';
    LogicalResourceId: string;
    PhysicalResourceId?: string;
    ResourceType: string;
    Replacement?: 'True' | 'False' | 'Conditional';
    Scope: string[];
    Details: unknown[];
  };
}

export interface ChangeSet {
  id: string;
  name: string;
  stackId: string;
  type: 'CREATE' | 'UPDATE';
  createdAt: number;
  /** stackMs when it was created: it is CREATE_PENDING for 15% of that, CREATE_IN_PROGRESS until 40% */
  durationMs: number;
  description?: string;
  template: Template;
  parameters: Map<string, ResolvedParameter>;
  tags: Tag[];
  capabilities: string[];
  changes: ChangeSetChange[];
  /** no resource, output or tag changes: the change set FAILS once created */
  empty: boolean;
  clientToken?: string;
  /** set by ExecuteChangeSet */
  execution?: { status: 'EXECUTE_IN_PROGRESS' | 'EXECUTE_COMPLETE' | 'EXECUTE_FAILED'; token?: string };
}

export interface DriftDetection {
  id: string;
  stackId: string;
  startedAt: number;
  dueAt: number;
  logicalIds?: string[];
  result?: {
    status: 'DETECTION_COMPLETE' | 'DETECTION_FAILED';
    reason?: string;
    stackDriftStatus: 'IN_SYNC' | 'DRIFTED' | 'UNKNOWN';
    driftedCount: number;
    at: number;
  };
}

export interface Stack {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  createdAt: number;
  updatedAt?: number;
  deletedAt?: number;
  status: StackStatus;
  statusReason?: string;
  template: Template;
  parameters: Map<string, ResolvedParameter>;
  tags: Tag[];
  capabilities: string[];
  outputs: StackOutput[];
  resources: Map<string, StackResource>;
  events: StackEvent[];
  op?: Operation;
  lastToken?: string;
  changeSets: Map<string, ChangeSet>;
  drift: { status: 'IN_SYNC' | 'DRIFTED' | 'NOT_CHECKED' | 'UNKNOWN'; lastCheck?: number };
  /** EnableTerminationProtection: DeleteStack is refused while it is on */
  terminationProtection?: boolean;
}

export class CfnRegion {
  /** live stacks (not DELETE_COMPLETE) by name */
  readonly live = new Map<string, Stack>();
  /** every stack ever made here, by stack id (ListStacks and ARN lookups) */
  readonly byId = new Map<string, Stack>();
  /** creation order of byId keys (stable pagination) */
  readonly order: string[] = [];
  readonly changeSetsById = new Map<string, ChangeSet>();
  readonly detections = new Map<string, DriftDetection>();
  readonly exports = new Map<string, { stackId: string; value: string }>();

  /** GET /_sim/state: a summary, not every template body */
  toJSON(): unknown {
    return {
      stacks: [...this.byId.values()].map((s) => ({
        stackName: s.stackName,
        stackId: s.stackId,
        status: s.status,
        resources: Object.fromEntries(
          [...s.resources.values()].map((r) => [
            r.logicalId,
            { type: r.type, physicalId: r.physicalId, status: r.status },
          ]),
        ),
      })),
      exports: Object.fromEntries(this.exports),
    };
  }
}

export function cfnRegion(rs: RegionState): CfnRegion {
  if (!(rs.cfn instanceof CfnRegion)) rs.cfn = new CfnRegion();
  return rs.cfn as CfnRegion;
}
