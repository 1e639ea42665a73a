// guardrail baseline: the current rules of every security group of each target, recorded in the store stack's
// TABLE-rules as the definitions a later modification is restored to (issue M). The same fleet, roles and progress
// as status; after one confirmation (the plan is the targets and the table, not the rules: a baseline of thousands
// of accounts is streamed, never held). Each target's rules are read with its role (DescribeSecurityGroupRules, 1,000
// per page) and written with the store account's credentials, one conditional PutItem per rule, so a record the
// function made later (or a later baseline) is never replaced. Running it again at any time is safe.
import { DescribeTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import type { GuardrailConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { describeError } from '../aws/describe-error.js';
import type { Emit, Place } from '../fleet/events.js';
import { runPool } from '../fleet/pool.js';
import { blankResult, resultOutcome, summarise, type Summary, type TargetResult } from '../fleet/results.js';
import { Fleet } from '../fleet/run.js';
import type { Session } from '../fleet/session.js';
import { baselineItem, isOpenToTheWorld, KEEP_LATER } from '../stack/rule-records.js';
import { storeNeeded, storePlace, type StorePlace } from './place.js';

export interface BaselineInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  signal: AbortSignal;
  emit: Emit;
  /** asked once, before anything is written */
  confirm(plan: BaselinePlan): Promise<boolean>;
}

export interface BaselinePlan {
  accounts: { id: string; name: string }[];
  regions: string[];
  targets: number;
  /** the table the records go to, and where it is */
  table: string;
  storeAccount: string;
  storeRegion: string;
}

export interface BaselineResult extends TargetResult {
  /** security groups with at least one rule */
  groups: number | null;
  /** rules EC2 described */
  rules: number | null;
  /** records written */
  recorded: number | null;
  /** rules whose record was left alone: the table holds one EC2 was seen holding later */
  newer: number | null;
  /** rules open to 0.0.0.0/0 or ::/0, recorded as they are: review them */
  openToWorld: number | null;
}

export interface BaselineSummary extends Summary {
  groups: number;
  rules: number;
  recorded: number;
  newer: number;
  openToWorld: number;
}

export interface BaselineReport {
  table: string;
  targets: BaselineResult[];
  summary: BaselineSummary;
  stoppedBy: 'signal' | 'declined' | null;
}

/** PutItems in flight per target; with deploy.concurrency targets at once, 16 × 8 writes by default. */
const WRITES_PER_TARGET = 8;

const COUNTS = { groups: null, rules: null, recorded: null, newer: null, openToWorld: null } as const;

function row(p: Place, fields: Partial<BaselineResult> & Pick<BaselineResult, 'result'>): BaselineResult {
  return {
    account: p.account,
    accountName: p.accountName,
    region: p.region,
    stackName: '-',
    action: 'none',
    stackStatus: null,
    error: null,
    durationMs: 0,
    reason: '',
    ...COUNTS,
    ...fields,
  };
}

/** The service's time (the SDK's measured clock skew applied): when EC2 was seen holding the rules. */
const serviceNow = (client: { config: { systemClockOffset?: number } }): number =>
  Date.now() + (client.config.systemClockOffset ?? 0);

/** The records table, reached with the store account's credentials (the caller's own, or the configured role there). */
async function openTable(
  session: Session,
  config: GuardrailConfig,
  place: StorePlace,
): Promise<{ client: DynamoDBClient; table: string }> {
  const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
  if (place.account !== session.identity.account) await session.broker.check(place.account, role);
  const client = await session.clients(place.account, place.region, role).dynamodb();
  const table = place.account === session.identity.account ? `${place.tableName}-rules` : place.rulesTableArn;
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') {
      throw new ConfigError(
        `the rule records table ${place.tableName}-rules does not exist in account ${place.account} ` +
          `(${place.region}): it is created with the store's stack ${place.stackName}`,
        {
          suggestion:
            'Run guardrail deploy first (with policy.onModify: restore, the default, or approvals.enabled: true), then the baseline.',
          cause: err,
        },
      );
    }
    throw err;
  }
  return { client, table };
}

export async function baseline(input: BaselineInput): Promise<BaselineReport> {
  const { session, config } = input;
  if (!storeNeeded(config)) {
    throw new ConfigError(
      'policy.onModify is not restore and approvals are off: no rule records are kept, so there is nothing to baseline',
      {
        problems: [
          {
            path: 'policy.onModify',
            message: 'set it to restore (the default) and deploy, then run guardrail baseline',
          },
        ],
      },
    );
  }
  const place = storePlace(config, session.identity.account, session.identity.arn.split(':')[1] || 'aws');
  const { client: dynamo, table } = await openTable(session, config, place);

  const fleet = new Fleet<BaselineResult>(input, {
    blank: (p, why) => ({ ...blankResult(p, '-', why), ...COUNTS }),
    outcome: resultOutcome,
  });
  await fleet.open({ warm: null });
  const finish = (stoppedBy: BaselineReport['stoppedBy']): BaselineReport => {
    const targets = fleet.sorted();
    return {
      table: `${place.tableName}-rules`,
      targets,
      summary: summariseBaseline(targets, fleet.set.excluded.length),
      stoppedBy,
    };
  };
  const targets = fleet.targets;
  if (targets.length === 0) return finish(null);
  if (input.signal.aborted) {
    fleet.skip(targets, 'interrupted before it started');
    return finish('signal');
  }
  const accounts = new Map(targets.map((t) => [t.account, t.accountName]));
  const ok = await input.confirm({
    accounts: [...accounts].sort(([a], [b]) => a.localeCompare(b)).map(([id, name]) => ({ id, name })),
    regions: [...new Set(targets.map((t) => t.region))].sort(),
    targets: targets.length,
    table: `${place.tableName}-rules`,
    storeAccount: place.account,
    storeRegion: place.region,
  });
  if (!ok) {
    fleet.skip(targets, 'not confirmed');
    return finish('declined');
  }

  const run = await fleet.each(
    'baseline',
    targets,
    async (t) => {
      fleet.started(t);
      const started = Date.now();
      try {
        await session.broker.check(t.account, t.role);
        const ec2 = await session.clients(t.account, t.region, t.role).ec2();
        const r = await recordTarget(ec2, dynamo, table, t, input.signal);
        return row(t, { ...r, durationMs: Date.now() - started });
      } catch (err) {
        return row(t, { result: 'failed', error: describeError(err), durationMs: Date.now() - started });
      } finally {
        session.release(t.account, t.region, t.role);
      }
    },
    { isFailure: (r) => r.result === 'failed' },
  );
  return finish(run.stoppedBy === 'signal' || input.signal.aborted ? 'signal' : null);
}

type Ec2 = Awaited<ReturnType<ReturnType<Session['clients']>['ec2']>>;

/** One target: every page of its rules, each written as it arrives. */
async function recordTarget(
  ec2: Ec2,
  dynamo: DynamoDBClient,
  table: string,
  t: Place,
  signal: AbortSignal,
): Promise<Partial<BaselineResult> & Pick<BaselineResult, 'result'>> {
  const { paginateDescribeSecurityGroupRules } = await import('@aws-sdk/client-ec2');
  const groups = new Set<string>();
  let rules = 0;
  let recorded = 0;
  let newer = 0;
  let openToWorld = 0;
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2, pageSize: 1000 }, {})) {
    if (signal.aborted) throw new Error('interrupted');
    const seenAt = serviceNow(ec2);
    const items = (page.SecurityGroupRules ?? []).flatMap((r: SecurityGroupRule) => {
      rules++;
      if (r.GroupId) groups.add(r.GroupId);
      if (isOpenToTheWorld(r)) openToWorld++;
      const item = baselineItem(r, t.account, t.region, seenAt);
      return item ? [item] : [];
    });
    const writes = await runPool(
      items,
      async (Item) => {
        try {
          await dynamo.send(
            new PutItemCommand({
              TableName: table,
              Item,
              ConditionExpression: KEEP_LATER.ConditionExpression,
              ExpressionAttributeValues: KEEP_LATER.values(seenAt),
            }),
            { abortSignal: signal },
          );
          return 'recorded' as const;
        } catch (err) {
          if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return 'newer' as const;
          return { error: err };
        }
      },
      { concurrency: WRITES_PER_TARGET, failureTolerance: 0, signal, isFailure: (o) => typeof o === 'object' },
    );
    for (const o of writes.outcomes) {
      if (o.kind !== 'ran') continue;
      if (o.result === 'recorded') recorded++;
      else if (o.result === 'newer') newer++;
      else throw o.result.error;
    }
    if (writes.outcomes.some((o) => o.kind !== 'ran')) throw new Error('interrupted before every rule was recorded');
  }
  const reason =
    `${rules} rule(s) of ${groups.size} group(s): ${recorded} recorded, ${newer} already recorded later` +
    (openToWorld > 0 ? `; ${openToWorld} open to the world, recorded as they are: review them` : '');
  return {
    result: recorded > 0 ? 'succeeded' : 'unchanged',
    groups: groups.size,
    rules,
    recorded,
    newer,
    openToWorld,
    reason,
  };
}

export function summariseBaseline(rows: BaselineResult[], excludedAccounts: number): BaselineSummary {
  const sum = (f: (r: BaselineResult) => number | null) => rows.reduce((n, r) => n + (f(r) ?? 0), 0);
  return {
    ...summarise(rows, excludedAccounts),
    groups: sum((r) => r.groups),
    rules: sum((r) => r.rules),
    recorded: sum((r) => r.recorded),
    newer: sum((r) => r.newer),
    openToWorld: sum((r) => r.openToWorld),
  };
}
