// Prefix lists owned by other accounts (shared into the target through AWS RAM) that the target's security-group
// rules reference. Such a list changes in its owner's account: the CloudTrail event of the change is the owner's and
// goes to the owner's bus, never to the target's, so guardrail in the target neither sees nor undoes what the owner
// adds, although every rule naming the list admits it at once. status names these lists per target, with their
// owners, so that someone looks after them where they change. They are not tampering, and do not make a target
// unhealthy (docs/commands.md, "status").
//
// Cost: one DescribeManagedPrefixLists a target, whose answer carries each visible list's OwnerId (the target's own
// lists, those shared with it, AWS's). Only when it shows lists of another account: one DescribeSecurityGroups per
// direction, filtered by those lists' ids (`ip-permission.prefix-list-id`, `egress.ip-permission.prefix-list-id`),
// to keep the lists a rule of the target names. That is two calls whatever the number of shared lists, and it reads
// only the target's own groups, which a consumer may always describe (GetManagedPrefixListAssociations would be one
// call per list, and AWS does not document what it answers a consumer).
import type { TargetClients } from '../aws/clients.js';
import { describeError } from '../aws/describe-error.js';

export interface SharedPrefixList {
  id: string;
  name: string;
  /** the owning account */
  owner: string;
  /** the target's security groups whose rules name it */
  groups: string[];
}

export type SharedPrefixListFindings =
  { sharedPrefixLists: SharedPrefixList[] } | { sharedPrefixLists: null; sharedPrefixListsError: string };

/**
 * Filter values per request: EC2 caps how many one filter may carry; 200 a call stays well inside it (not verified).
 */
const FILTER_VALUES = 200;

export async function sharedPrefixLists(
  clients: Pick<TargetClients, 'ec2'>,
  account: string,
): Promise<SharedPrefixListFindings> {
  try {
    const ec2 = await clients.ec2();
    const { DescribeManagedPrefixListsCommand, DescribeSecurityGroupsCommand } = await import('@aws-sdk/client-ec2');
    const foreign = new Map<string, { name: string; owner: string }>();
    let NextToken: string | undefined;
    do {
      const out = await ec2.send(new DescribeManagedPrefixListsCommand({ MaxResults: 100, NextToken }));
      for (const l of out.PrefixLists ?? []) {
        // "AWS" owns the AWS-managed lists (S3, DynamoDB, CloudFront): read-only, nobody's change to watch
        if (l.PrefixListId && l.OwnerId && l.OwnerId !== account && l.OwnerId !== 'AWS') {
          foreign.set(l.PrefixListId, { name: l.PrefixListName ?? '', owner: l.OwnerId });
        }
      }
      NextToken = out.NextToken;
    } while (NextToken);
    if (foreign.size === 0) return { sharedPrefixLists: [] };

    const groupsOf = new Map<string, Set<string>>();
    const ids = [...foreign.keys()];
    for (const egress of [false, true]) {
      for (let i = 0; i < ids.length; i += FILTER_VALUES) {
        const Values = ids.slice(i, i + FILTER_VALUES);
        let token: string | undefined;
        do {
          const out = await ec2.send(
            new DescribeSecurityGroupsCommand({
              Filters: [
                { Name: egress ? 'egress.ip-permission.prefix-list-id' : 'ip-permission.prefix-list-id', Values },
              ],
              MaxResults: 1000,
              NextToken: token,
            }),
          );
          for (const g of out.SecurityGroups ?? []) {
            for (const p of (egress ? g.IpPermissionsEgress : g.IpPermissions) ?? []) {
              for (const ref of p.PrefixListIds ?? []) {
                if (!ref.PrefixListId || !foreign.has(ref.PrefixListId) || !g.GroupId) continue;
                const set = groupsOf.get(ref.PrefixListId) ?? new Set<string>();
                set.add(g.GroupId);
                groupsOf.set(ref.PrefixListId, set);
              }
            }
          }
          token = out.NextToken;
        } while (token);
      }
    }
    return {
      sharedPrefixLists: [...groupsOf.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, groups]) => ({
          id,
          name: foreign.get(id)!.name,
          owner: foreign.get(id)!.owner,
          groups: [...groups].sort(),
        })),
    };
  } catch (err) {
    return { sharedPrefixLists: null, sharedPrefixListsError: describeError(err) };
  }
}

/** `pl-0abc (partners, owned by 111122223333) in sg-1, sg-2`: one list, for the table's details. */
export function sharedPrefixListText(l: SharedPrefixList): string {
  return `${l.id}${l.name ? ` (${l.name}, owned by ${l.owner})` : ` (owned by ${l.owner})`} in ${l.groups.join(', ')}`;
}
