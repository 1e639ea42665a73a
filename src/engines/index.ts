// The one interface every command goes through. An engine is how guardrail's stacks get into the accounts: `direct`
// (one stack per account and region, from here) or `stacksets` (a service-managed stack set). A command asks
// `engineFor(config)` for the engine and never branches on its name; what differs between the engines lives behind
// this interface, and what they share (the fleet run, the rows, the judgement of a status row, the retry pipeline)
// lives below it.
import type { GuardrailConfig } from '../config/index.js';
import type { RenderedTemplate } from '../stack/template.js';
import { functionLogGroupPrefix } from '../stack/function-logs.js';
import { deploy as deployStacks, type DeployInput, type DeployReport } from './direct/deploy.js';
import { remove as removeStacks, type RemoveInput, type RemoveReport } from './direct/remove.js';
import { status as statusStacks, type StatusInput, type StatusReport } from './direct/status.js';
import { directPlaces } from './direct/retry.js';
import { retryReverts, type RetryInput, type RetryReport } from './retry.js';
import { retireStackSet } from './stacksets/retire.js';
import { renderForConfig } from './render.js';
import { markAfterRemove } from './removed-marker.js';
import { deployStackSets } from './stacksets/deploy.js';
import { removeStackSets } from './stacksets/remove.js';
import { stackSetPlaces } from './stacksets/retry.js';
import { statusStackSets } from './stacksets/status.js';
import { renderForStackSet } from './stacksets/template.js';
import { instanceStackPrefix } from '../stack/names.js';

export type EngineName = GuardrailConfig['deploy']['engine'];
export const ENGINE_NAMES: readonly EngineName[] = ['direct', 'stacksets'];

/**
 * Where one engine puts guardrail in a target: its stack and the decision log groups. (The function roles' names,
 * which the store and the SCP need for both engines at once, are in stack/names.ts.)
 */
export interface TargetStacks {
  engine: EngineName;
  /** the stack's name in each target; null when only the engine knows it (StackSets names instances with a uuid) */
  stackName: string | null;
  /** every decision log group this engine's stacks made, current and kept: DescribeLogGroups by prefix, then `test` */
  logGroups: { prefix: string; test(name: string): boolean };
}

export interface Engine {
  readonly name: EngineName;
  /**
   * the template exactly as deploy sends it (`callerAccount` places the approval store when approvals.account is unset)
   */
  template(config: GuardrailConfig, callerAccount?: string): Promise<RenderedTemplate>;
  deploy(input: DeployInput): Promise<DeployReport>;
  status(input: StatusInput): Promise<StatusReport>;
  remove(input: RemoveInput): Promise<RemoveReport>;
  /** each target's dead-letter queue decided again by its function (one pipeline for both engines: retry.ts) */
  retry(input: RetryInput): Promise<RetryReport>;
  /** where this engine's stacks and logs are (the same in every target) */
  stacksFor(config: GuardrailConfig): TargetStacks;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const direct: Engine = {
  name: 'direct',
  template: renderForConfig,
  // once its own stacks stand, the direct engine retires a stack set the stacksets engine left (switching back)
  deploy: async (input) => retireStackSet(input, await deployStacks(input)),
  status: statusStacks,
  remove: async (input) => markAfterRemove(input, await removeStacks(input)),
  retry: (input) => retryReverts(input, directPlaces),
  stacksFor(config) {
    const prefix = functionLogGroupPrefix(config.stackName);
    return {
      engine: 'direct',
      stackName: config.stackName,
      logGroups: { prefix, test: (name) => name.startsWith(prefix) },
    };
  },
};

const stacksets: Engine = {
  name: 'stacksets',
  template: renderForStackSet,
  deploy: deployStackSets,
  status: statusStackSets,
  remove: async (input) => markAfterRemove(input, await removeStackSets(input)),
  retry: (input) => retryReverts(input, stackSetPlaces),
  stacksFor(config) {
    const prefix = instanceStackPrefix(config.stackName);
    const pattern = new RegExp(`^${escape(prefix)}${UUID}-FunctionLogGroup-`);
    return {
      engine: 'stacksets',
      stackName: null,
      logGroups: { prefix, test: (name) => pattern.test(name) },
    };
  },
};

const ENGINES: Record<EngineName, Engine> = { direct, stacksets };

/** The configured engine (deploy.engine, or --engine). */
export function engineFor(config: GuardrailConfig): Engine {
  return ENGINES[config.deploy.engine];
}

/** Every engine, the configured one first: where to look for stacks and logs an earlier engine may have left. */
export function everyEngine(config: GuardrailConfig): Engine[] {
  const first = engineFor(config);
  return [first, ...ENGINE_NAMES.filter((n) => n !== first.name).map((n) => ENGINES[n])];
}

export type {
  DeployInput,
  DeployReport,
  RemoveInput,
  RemoveReport,
  RetryInput,
  RetryReport,
  StatusInput,
  StatusReport,
};
