// End to end on a pseudo-terminal: deploy plans first and asks with the plan's counts, answered both ways; with
// nothing to change it does not ask; remove's question names the accounts and the regions that hold a stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackSetsOf } from '../sim/stacksets/model.js';
import { memberIds } from '../sim/test/helpers.js';
import { countCalls, liveStacks, startE2E, type E2E } from './harness.js';
import { openTerminal, runInTerminal } from './terminal.js';

const REGIONS = ['us-east-1'];

describe('the confirmation says what will happen', () => {
  let e: E2E;
  let mgmt: string;
  let members: string[];
  const live = () => [...liveStacks(e).keys()].sort();
  const targetsOf = (...accounts: string[]) => accounts.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort();

  beforeAll(async () => {
    e = await startE2E({ accounts: 3, regions: REGIONS, stackMs: 40 });
    e.config(`regions: [${REGIONS.join(', ')}]\ndeploy:\n  pollSeconds: 1\n`);
    mgmt = e.sim.state.org.managementAccountId;
    members = memberIds(e.sim);
    // one account already current, one whose role cannot be assumed
    const first = await e.run(['deploy', '--account', members[0]!, '--yes']);
    expect(first.code, first.stderr).toBe(0);
    await e.faults({ denyAssume: [members[2]] });
  });
  afterAll(async () => {
    await e?.close();
  });

  it('asks with create · update · unchanged · cannot plan; "n" changes nothing', async () => {
    await e.resetCalls();
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'n');
    expect(r.question).toBe('create 2 · update 0 · unchanged 1 · cannot plan 1 — deploy to 2 accounts? [y/N]');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/Not confirmed: nothing was changed/);
    expect(countCalls(await e.calls(), ['cloudformation.CreateStack', 'cloudformation.CreateChangeSet'])).toBe(0);
    expect(live()).toEqual(targetsOf(members[0]!));
  });

  it('"y" deploys what the plan showed, and reports the account that could not be planned', async () => {
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'y');
    expect(r.question).toBe('create 2 · update 0 · unchanged 1 · cannot plan 1 — deploy to 2 accounts? [y/N]');
    expect(r.code, r.output).toBe(1); // the denied account failed
    expect(live()).toEqual(targetsOf(mgmt, members[0]!, members[1]!));
    expect(r.output).toMatch(new RegExp(`${members[2]}\\)/us-east-1 +failed`));
  });

  it('a policy change is counted as updates', async () => {
    await e.faults({ denyAssume: [] });
    e.config(`regions: [${REGIONS.join(', ')}]\ndeploy:\n  pollSeconds: 1\npolicy:\n  mode: monitor\n`);
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'y');
    expect(r.question).toBe('create 1 · update 3 · unchanged 0 · cannot plan 0 — deploy to 4 accounts? [y/N]');
    expect(r.code, r.output).toBe(0);
    expect(live()).toEqual(targetsOf(mgmt, ...members));
  });

  it('with nothing to change it does not ask: it reports unchanged and exits 0', async () => {
    await e.resetCalls();
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], null);
    expect(r.question).toBeNull();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/deploy: 4 targets · 4 unchanged/);
    expect(r.output).toMatch(/Nothing to change: every stack is current/);
    expect(countCalls(await e.calls(), ['cloudformation.CreateChangeSet', 'cloudformation.UpdateStack'])).toBe(0);
  });

  it('remove names the accounts and the regions, and "y" removes exactly those', async () => {
    const chosen = [members[1]!, members[2]!].sort();
    const names = chosen.map((id) => `member-\\d+ \\(${id}\\)`).join(', ');
    const r = await runInTerminal(
      e,
      ['remove', '--account', chosen.join(','), '--regions', 'us-east-1,us-west-2'],
      'y',
    );
    // us-west-2 has no stack, so only us-east-1 is named
    expect(r.question).toMatch(
      new RegExp(`^Remove guardrail \\(2 stacks\\) from 2 accounts: ${names} — in 1 region: us-east-1\\? \\[y/N\\]$`),
    );
    expect(r.code, r.output).toBe(0);
    expect(live()).toEqual(targetsOf(mgmt, members[0]!));
  });
});

describe('with approvals, the question names the store, and "n" writes nothing', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: REGIONS, stackMs: 40 });
    e.config(
      `regions: [${REGIONS.join(', ')}]\ntrail: { mode: existing }\ndeploy:\n  pollSeconds: 1\napprovals: { enabled: true }\n`,
    );
  });
  afterAll(async () => {
    await e?.close();
  });
  const mgmtId = () => e.sim.state.org.managementAccountId;
  // every call the run made was a read: a Describe, List, Get or Head (S3's HeadBucket), or the role assumption that
  // reads go through
  const writes = async () =>
    (await e.calls()).calls
      .filter(
        (c) => !/^(Describe|List|Get|Head)/.test(c.operation) && `${c.service}.${c.operation}` !== 'sts.AssumeRole',
      )
      .map((c) => `${c.service}.${c.operation}`);
  const templateBuckets = () => [...e.sim.state.buckets.keys()].filter((n) => n.startsWith('guardrail-templates-'));

  it('--plan names the template bucket it would create, and writes nothing: no bucket, no object, no stack', async () => {
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain(
      `deploy would create the template bucket(s) guardrail-templates-${mgmtId()}-us-east-1`,
    );
    expect(await writes()).toEqual([]);
    expect(countCalls(await e.calls(), ['s3.HeadBucket'])).toBeGreaterThan(0);
    expect(templateBuckets()).toEqual([]);
    expect(liveStacks(e).size + liveStacks(e, 'guardrail-approvals').size).toBe(0);
  });

  it('"n": "Not confirmed", the store stack is not created, and the call log has no write', async () => {
    await e.resetCalls();
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'n');
    expect(r.question).toBe(
      `create 3 · update 0 · unchanged 0 · cannot plan 0 — create the template bucket guardrail-templates-${mgmtId()}-us-east-1, ` +
        `create the approval store guardrail-approvals (${mgmtId()}/us-east-1) and deploy to 3 accounts? [y/N]`,
    );
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/Not confirmed: nothing was changed/);
    expect(r.output).toMatch(/Approval store guardrail-approvals \(\d{12}\/us-east-1\): skipped \(not confirmed\)/);
    expect(await writes()).toEqual([]);
    // the plan asked S3 whether the bucket is there (HeadBucket), and made none
    expect(countCalls(await e.calls(), ['s3.HeadBucket'])).toBeGreaterThan(0);
    expect(templateBuckets()).toEqual([]);
    expect(liveStacks(e, 'guardrail-approvals').size).toBe(0);
    expect(liveStacks(e).size).toBe(0);
  });

  it('"y": the store first, then the targets', async () => {
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'y');
    expect(r.code, r.output).toBe(0);
    expect(templateBuckets()).toEqual([`guardrail-templates-${mgmtId()}-us-east-1`]);
    expect([...liveStacks(e, 'guardrail-approvals').keys()]).toEqual([`${mgmtId()}/us-east-1`]);
    expect(liveStacks(e).size).toBe(3);
    const store = liveStacks(e, 'guardrail-approvals').get(`${mgmtId()}/us-east-1`)!;
    for (const s of liveStacks(e).values()) expect(s.createdAt >= store.createdAt).toBe(true);
  });
});

describe('on a terminal, a failure is printed once', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: ['us-east-1', 'us-west-2'], stackMs: 40 });
    e.config('regions: [us-east-1, us-west-2]\ndeploy:\n  pollSeconds: 1\n');
  });
  afterAll(async () => {
    await e?.close();
  });

  it('a failed stack and a denied account: each error once on the screen (progress, table and first failed resource together)', async () => {
    const [failing, denied] = memberIds(e.sim);
    await e.faults({ failStack: [`${failing}:us-west-2`], denyAssume: [denied] });
    // a terminal with a width: the live spinner, and the table on the same screen
    const t = openTerminal(e, ['deploy', '--all-accounts', '--yes'], { columns: 200 });
    const r = await t.done;
    expect(r.code, r.output).toBe(1);
    const linesWith = (text: string) => r.output.split('\n').filter((l) => l.includes(text));
    expect(linesWith('cannot be assumed by Lambda'), r.output).toHaveLength(1);
    expect(linesWith(`arn:aws:iam::${denied}:role/OrganizationAccountAccessRole`), r.output).toHaveLength(1);
    expect(r.output).toMatch(new RegExp(`\\(${denied}\\)/2 regions +failed`));
    expect(r.output).not.toMatch(/First failed resource/);
    expect(r.output).toMatch(
      /^1 of 2 accounts could be assumed: check the role name \(OrganizationAccountAccessRole\) or its trust policy$/m,
    );
  });
});

describe('engine stacksets with approvals: one question for the direct part and the stack set, and "n" writes nothing', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ accounts: 3, regions: REGIONS, stackMs: 40, stackSetStartMs: 20, stackSetInstanceMs: 10 });
    // trusted access activated once beforehand, as deploy's hint says (aws cloudformation
    // activate-organizations-access)
    stackSetsOf(e.sim.state).organizationsAccess = true;
    e.config(
      `regions: [${REGIONS.join(', ')}]\ntrail: { mode: existing }\ndeploy:\n  engine: stacksets\n  pollSeconds: 1\napprovals: { enabled: true }\n`,
    );
  });
  afterAll(async () => {
    await e?.close();
  });

  it('"n": the question counts the management account and the members, names the store, and the call log has no write', async () => {
    await e.resetCalls();
    const mgmt = e.sim.state.org.managementAccountId;
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'n');
    expect(r.question, r.output).toBe(
      `create 4 · update 0 · unchanged 0 · cannot plan 0 — create the template bucket guardrail-templates-${mgmt}-us-east-1, ` +
        `create the approval store guardrail-approvals (${mgmt}/us-east-1) and deploy to 4 accounts? [y/N]`,
    );
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/Not confirmed: nothing was changed/);
    const writes = (await e.calls()).calls
      .filter(
        (c) => !/^(Describe|List|Get|Head)/.test(c.operation) && `${c.service}.${c.operation}` !== 'sts.AssumeRole',
      )
      .map((c) => `${c.service}.${c.operation}`);
    expect(writes).toEqual([]);
    expect([...e.sim.state.buckets.keys()].filter((n) => n.startsWith('guardrail-templates-'))).toEqual([]);
    expect(liveStacks(e).size + liveStacks(e, 'guardrail-approvals').size).toBe(0);
  });

  it('"y": asked once, then the store, the management account\'s stack and the stack set\'s instances', async () => {
    const r = await runInTerminal(e, ['deploy', '--all-accounts'], 'y');
    expect(r.code, r.output).toBe(0);
    expect(r.output.match(/\[y\/N\]/g)).toHaveLength(1);
    expect(liveStacks(e, 'guardrail-approvals').size).toBe(1);
    expect([...liveStacks(e).keys()]).toEqual([`${e.sim.state.org.managementAccountId}/us-east-1`]);
    const set = [...stackSetsOf(e.sim.state).stackSets.values()].find((x) => x.name === 'guardrail');
    expect(set?.instances.size ?? 0, r.output).toBe(3);
  });
});
