// AWS Config's history of a security group, where the account records AWS::EC2::SecurityGroup: the group as Config
// captured it last before a modification (GetResourceConfigHistory up to the event's time, newest first). Config
// lists a group's permissions, not its rule ids, so a modified rule is matched by its values: its previous
// definition is the one permission of that capture which no rule of the group accounts for now. When that is not
// exactly one, Config does not know. Everything Config answers is read defensively.
import { ConfigServiceClient, GetResourceConfigHistoryCommand } from '@aws-sdk/client-config-service';
import { errorCode, isTransient } from './revert.js';
import { accessOf, sameAccess } from './wider.js';
import type { GroupRule, RuleDefinition } from './types.js';

export interface CapturedRule {
  isEgress: boolean;
  definition: RuleDefinition;
}

export interface GroupCapture {
  /** epoch milliseconds */
  capturedAt: number;
  rules: CapturedRule[];
}

export interface HistoryPort {
  /**
   * The group as Config captured it last before `at` (and not because of the event `eventId`), or why there is none.
   */
  groupBefore(groupId: string, at: Date, eventId?: string): Promise<GroupCapture | { none: string }>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, 5000) : []);
const text = (v: unknown, max = 255): string | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
const port = (v: unknown): number | undefined => (Number.isInteger(v) ? (v as number) : undefined);

/** A capture's permissions, one rule per source as EC2 holds them; undefined when the configuration is unreadable. */
export function capturedRules(configuration: string): CapturedRule[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(configuration);
  } catch {
    return undefined;
  }
  if (!isObj(doc)) return undefined;
  const out: CapturedRule[] = [];
  for (const [key, isEgress] of [
    ['ipPermissions', false],
    ['ipPermissionsEgress', true],
  ] as const) {
    for (const p of arr(doc[key])) {
      if (!isObj(p) || text(p.ipProtocol, 16) === undefined) return undefined;
      const base: RuleDefinition = {
        ipProtocol: p.ipProtocol as string,
        fromPort: port(p.fromPort),
        toPort: port(p.toPort),
      };
      const add = (source: Partial<RuleDefinition>, entry: Obj) => {
        const description = text(entry.description);
        out.push({
          isEgress,
          definition: { ...base, ...source, ...(description !== undefined ? { description } : {}) },
        });
      };
      // ipv4Ranges carries the descriptions; captures without it have only the plain ipRanges list
      const v4 = Array.isArray(p.ipv4Ranges) ? arr(p.ipv4Ranges) : arr(p.ipRanges).map((cidrIp) => ({ cidrIp }));
      for (const r of v4) if (isObj(r) && text(r.cidrIp, 64)) add({ cidrIpv4: r.cidrIp as string }, r);
      for (const r of arr(p.ipv6Ranges))
        if (isObj(r) && text(r.cidrIpv6, 64)) add({ cidrIpv6: r.cidrIpv6 as string }, r);
      for (const r of arr(p.prefixListIds))
        if (isObj(r) && text(r.prefixListId, 64)) add({ prefixListId: r.prefixListId as string }, r);
      for (const g of arr(p.userIdGroupPairs)) {
        if (isObj(g) && text(g.groupId, 64))
          add(
            {
              referencedGroupId: g.groupId as string,
              ...(text(g.userId, 12) ? { referencedUserId: g.userId as string } : {}),
            },
            g,
          );
      }
    }
  }
  return out.every((r) => accessOf(r.definition)) ? out : undefined;
}

/** Takes the first rule of `pool` with the same access as `d` out of it, and returns it. */
function take(pool: RuleDefinition[], d: RuleDefinition): RuleDefinition | undefined {
  const i = pool.findIndex((x) => sameAccess(x, d));
  return i < 0 ? undefined : pool.splice(i, 1)[0];
}

export interface ModifiedRule {
  ruleId: string;
  isEgress: boolean;
  /** the rule as EC2 holds it now */
  current: RuleDefinition;
}

/**
 * The previous definitions a capture proves, by rule id. Per direction: the capture's rules, less one for each rule
 * of the group now that is not being decided, leave the candidates. A modified rule whose access is a candidate's
 * kept it (its description may have changed); then a single modified rule left with a single candidate was that
 * candidate. Anything else is not known.
 */
export function previousFromCapture(
  capture: GroupCapture,
  modified: ModifiedRule[],
  now: GroupRule[],
): Map<string, RuleDefinition> {
  const found = new Map<string, RuleDefinition>();
  const ids = new Set(modified.map((m) => m.ruleId));
  for (const isEgress of [false, true]) {
    const pool = capture.rules.filter((r) => r.isEgress === isEgress).map((r) => r.definition);
    for (const r of now) if (r.isEgress === isEgress && !ids.has(r.ruleId)) take(pool, r);
    const left: ModifiedRule[] = [];
    for (const m of modified.filter((x) => x.isEgress === isEgress)) {
      const same = take(pool, m.current);
      if (same) found.set(m.ruleId, same);
      else left.push(m);
    }
    if (left.length === 1 && pool.length === 1) found.set(left[0]!.ruleId, pool[0]!);
  }
  return found;
}

/** Config answers at most this many pages (each spans up to seven days of history) before it counts as not knowing. */
const MAX_PAGES = 12;
const USABLE = new Set(['OK', 'ResourceDiscovered']);

export function configHistory(client: ConfigServiceClient = new ConfigServiceClient({ maxAttempts: 3 })): HistoryPort {
  return {
    async groupBefore(groupId, at, eventId) {
      let nextToken: string | undefined;
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const out = await client.send(
            new GetResourceConfigHistoryCommand({
              resourceType: 'AWS::EC2::SecurityGroup',
              resourceId: groupId,
              laterTime: at,
              limit: 10,
              nextToken,
            }),
          );
          for (const item of out.configurationItems ?? []) {
            const captured = item.configurationItemCaptureTime?.getTime();
            if (
              captured === undefined ||
              captured >= at.getTime() ||
              (eventId && item.relatedEvents?.includes(eventId))
            )
              continue;
            const status = item.configurationItemStatus ?? 'unknown';
            if (!USABLE.has(status)) return { none: `AWS Config's last capture of ${groupId} is ${status}` };
            const rules = item.configuration ? capturedRules(item.configuration) : undefined;
            return rules
              ? { capturedAt: captured, rules }
              : { none: `AWS Config's capture of ${groupId} cannot be read` };
          }
          nextToken = out.nextToken;
          if (!nextToken) break;
        }
      } catch (err) {
        if (isTransient(err)) throw err;
        const code = errorCode(err);
        if (code === 'ResourceNotDiscoveredException') return { none: `AWS Config does not record ${groupId}` };
        if (code === 'NoAvailableConfigurationRecorderException')
          return { none: 'AWS Config records nothing in this region' };
        return { none: `AWS Config unreadable (${code})` };
      }
      return { none: `AWS Config has no earlier capture of ${groupId}` };
    },
  };
}
