// The approval store's own small stack (templates/approvals.yaml): the table with TTL and its resource policy.
// `guardrail deploy` plans and applies it before any target, with the same change-set machinery as the targets.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DescribeOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { GuardrailConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { applyStack, planStack, type DeployOutcome, type DesiredStack, type StackContext, type StackPlan } from '../stack/deploy-stack.js';
import { functionRolePattern, type StorePlace } from './place.js';

export async function organizationId(org: OrganizationsClient): Promise<string> {
  try {
    const out = await org.send(new DescribeOrganizationCommand({}));
    if (out.Organization?.Id) return out.Organization.Id;
  } catch (err) {
    throw new ConfigError(`approvals need the organisation's id for the store's policy (aws:PrincipalOrgID), and `
      + `DescribeOrganization failed (${(err as Error).name})`, {
      suggestion: 'Run guardrail from the management account (or a delegated administrator), or set approvals.enabled: false.',
      cause: err,
    });
  }
  throw new ConfigError('DescribeOrganization returned no organisation id');
}

export async function desiredStore(config: GuardrailConfig, place: StorePlace, orgId: string, partition = 'aws'): Promise<DesiredStack> {
  const body = await readFile(new URL('../../templates/approvals.yaml', import.meta.url), 'utf8');
  const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return {
    stackName: place.stackName, body, version,
    parameters: {
      TableName: place.tableName, OrganizationId: orgId, FunctionRolePattern: functionRolePattern(config.stackName, partition),
      GuardrailVersion: version,
    },
  };
}

export interface StoreResult {
  plan: StackPlan;
  outcome: DeployOutcome | null;
}

/** Plans the store's stack and, unless planOnly, applies it. */
export async function deployStore(ctx: StackContext, desired: DesiredStack, planOnly: boolean): Promise<StoreResult> {
  const plan = await planStack(ctx, desired);
  if (planOnly) return { plan, outcome: null };
  return { plan, outcome: await applyStack(ctx, desired, plan) };
}
