// End to end, through the built bin/guardrail: protect --detach, the way back from --attach. It plans, asks (or
// needs --yes without a terminal), detaches guardrail-protect from where it is attached and deletes it, and touches
// no policy of that name that guardrail did not make.
import {
  CreatePolicyCommand,
  DeletePolicyCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../sim/test/helpers.js';
import { countCalls, startE2E, type E2E } from './harness.js';

describe('protect --detach', () => {
  let e: E2E;
  let org: OrganizationsClient;
  const ours = async () =>
    (await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))).Policies?.find(
      (p) => p.Name === 'guardrail-protect',
    );

  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: ['us-east-1'], stackMs: 40 });
    e.config('regions: [us-east-1]\n');
    org = new OrganizationsClient(clientConfig(e.sim));
    const attach = await e.run(['protect', '--attach', '--yes']);
    expect(attach.code, attach.stderr).toBe(0);
  });

  afterAll(async () => {
    org?.destroy();
    await e?.close();
  });

  it('without --yes and without a terminal: exit 2, nothing detached', async () => {
    await e.resetCalls();
    const r = await e.run(['protect', '--detach']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(countCalls(await e.calls(), ['organizations.DetachPolicy', 'organizations.DeletePolicy'])).toBe(0);
  });

  it('--detach --plan names where it is attached and changes nothing', async () => {
    const policy = await ours();
    await e.resetCalls();
    const r = await e.run(['protect', '--detach', '--plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`guardrail-protect (${policy!.Id}): detach and delete`);
    expect(r.stdout).toMatch(/detach from r-[0-9a-z]+ \(ROOT/);
    expect(countCalls(await e.calls(), ['organizations.DetachPolicy', 'organizations.DeletePolicy'])).toBe(0);
    expect(await ours()).toBeDefined();
  });

  it('--detach --yes detaches and deletes it; a second run has nothing to do', async () => {
    const r = await e.run(['protect', '--detach', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/detached from r-/);
    expect(await ours()).toBeUndefined();
    const again = await e.run(['protect', '--detach', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not in the organisation, nothing to detach');
  });

  it('refuses a guardrail-protect policy guardrail did not make, before any write', async () => {
    const made = await org.send(
      new CreatePolicyCommand({
        Name: 'guardrail-protect',
        Description: "someone else's",
        Type: 'SERVICE_CONTROL_POLICY',
        Content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }],
        }),
      }),
    );
    try {
      await e.resetCalls();
      const r = await e.run(['protect', '--detach', '--yes']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/was not made by guardrail/);
      expect(countCalls(await e.calls(), ['organizations.DetachPolicy', 'organizations.DeletePolicy'])).toBe(0);
      const targets = await org.send(new ListTargetsForPolicyCommand({ PolicyId: made.Policy!.PolicySummary!.Id! }));
      expect(targets.Targets).toEqual([]);
    } finally {
      await org.send(new DeletePolicyCommand({ PolicyId: made.Policy!.PolicySummary!.Id! }));
    }
  });
});
