// StackSets' state: stack sets per administrator account and region, their instances (each a real stack in a
// member account, made by the CloudFormation engine), and their operations. Plain data, so GET /_sim/state shows it.
import type { SimState } from '../state.js';
import { rng, type Rng } from '../random.js';

export type OperationAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'DETECT_DRIFT';
export type OperationStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPING' | 'STOPPED';
export type ResultStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type DetailedStatus =
  'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'INOPERABLE' | 'SKIPPED_SUSPENDED_ACCOUNT';

export interface Preferences {
  regionConcurrency: 'SEQUENTIAL' | 'PARALLEL';
  regionOrder: string[];
  failureToleranceCount?: number;
  failureTolerancePercentage?: number;
  maxConcurrentCount?: number;
  maxConcurrentPercentage?: number;
  concurrencyMode: 'STRICT_FAILURE_TOLERANCE' | 'SOFT_FAILURE_TOLERANCE';
}

export interface Instance {
  account: string;
  region: string;
  ouId: string;
  stackId?: string;
  stackName: string;
  status: 'CURRENT' | 'OUTDATED' | 'INOPERABLE';
  statusReason?: string;
  detailed: DetailedStatus;
  overrides: Record<string, string>;
  lastOperationId?: string;
  drift: { status: 'DRIFTED' | 'IN_SYNC' | 'UNKNOWN' | 'NOT_CHECKED'; at?: number };
}

export interface OpResult {
  account: string;
  region: string;
  ouId: string;
  status: ResultStatus;
  reason?: string;
}

export interface StackSetOperation {
  id: string;
  stackSetId: string;
  action: OperationAction;
  status: OperationStatus;
  statusReason?: string;
  prefs: Preferences;
  createdAt: number;
  endedAt?: number;
  retainStacks?: boolean;
  /** CREATE/UPDATE: overrides to set on the targeted instances (undefined: keep theirs) */
  overrides?: Record<string, string>;
  /** results in the order they were planned: key account|region */
  results: Map<string, OpResult>;
  drift?: { drifted: number; inSync: number; failed: number };
  /** true for operations auto-deployment started */
  auto?: boolean;
}

export interface StackSet {
  name: string;
  id: string;
  adminAccount: string;
  region: string;
  status: 'ACTIVE' | 'DELETED';
  description?: string;
  templateBody: string;
  parameters: Record<string, string>;
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  permissionModel: 'SERVICE_MANAGED' | 'SELF_MANAGED';
  autoDeployment: { enabled: boolean; retainStacksOnAccountRemoval: boolean };
  managedExecution: boolean;
  /** OUs that instances were created for (auto-deployment watches these) */
  ouIds: string[];
  /** regions that instances were created in (auto-deployment deploys to these) */
  regions: string[];
  instances: Map<string, Instance>;
  operations: Map<string, StackSetOperation>;
  /** operation ids in creation order */
  operationOrder: string[];
  drift: { status: 'DRIFTED' | 'IN_SYNC' | 'NOT_CHECKED'; at?: number };
}

export interface StackSetsTiming {
  /** from an operation's creation to its first instance starting */
  startMs: number;
  /** per instance, before its stack operation starts (role assumption, stack creation call, bookkeeping) */
  instanceMs: number;
}

export interface StackSetsState {
  /** trusted access between StackSets and Organizations */
  organizationsAccess: boolean;
  /** Organizations' delegated administrators: service principal → account ids */
  delegatedAdmins: Map<string, string[]>;
  /** key: adminAccount|region|name */
  stackSets: Map<string, StackSet>;
  /** set by the simulator's options; unset fields follow the stack time (see timingOf) */
  timing: Partial<StackSetsTiming>;
  random: Rng;
}

export const STACKSETS_PRINCIPAL = 'member.org.stacksets.cloudformation.amazonaws.com';

const slices = new WeakMap<SimState, StackSetsState>();

/** The StackSets slice of the simulator state, made on first use; timing follows the stack time unless set. */
export function stackSetsOf(state: SimState): StackSetsState {
  let s = slices.get(state);
  if (!s) {
    s = {
      organizationsAccess: false,
      delegatedAdmins: new Map(),
      stackSets: new Map(),
      timing: {},
      random: rng(state.seed, 'stacksets'),
    };
    slices.set(state, s);
  }
  return s;
}

export function uuid(s: StackSetsState): string {
  return s.random.uuid();
}

export function instanceKey(account: string, region: string): string {
  return `${account}|${region}`;
}

/** The timing model (test/sim/README.md): start latency half a stack operation, per-instance overhead a fifth. */
export function timingOf(state: SimState): StackSetsTiming {
  const t = stackSetsOf(state).timing;
  return {
    startMs: t.startMs ?? Math.round(state.stackMs * 0.5),
    instanceMs: t.instanceMs ?? Math.round(state.stackMs * 0.2),
  };
}
