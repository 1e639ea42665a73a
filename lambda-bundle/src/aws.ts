// The ports, implemented with the AWS SDK v3 clients (which the Lambda runtime provides).
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupVpcAssociationsCommand,
  DisassociateSecurityGroupVpcCommand,
  GetManagedPrefixListEntriesCommand,
  RestoreManagedPrefixListVersionCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroupRule,
  type SecurityGroupRuleRequest,
} from '@aws-sdk/client-ec2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { errorCode, protocol } from './revert.js';
import type {
  DeadLetter,
  Ec2Port,
  InterfaceInfo,
  Permission,
  RuleDefinition,
  RuleInfo,
  SnsPort,
  SqsPort,
  TaggedRule,
} from './types.js';

function toWire(p: Permission): IpPermission {
  const wire: IpPermission = { IpProtocol: p.ipProtocol };
  if (p.fromPort !== undefined) wire.FromPort = p.fromPort;
  if (p.toPort !== undefined) wire.ToPort = p.toPort;
  if (p.ipRanges.length) wire.IpRanges = p.ipRanges.map((CidrIp) => ({ CidrIp }));
  if (p.ipv6Ranges.length) wire.Ipv6Ranges = p.ipv6Ranges.map((CidrIpv6) => ({ CidrIpv6 }));
  if (p.prefixListIds.length) wire.PrefixListIds = p.prefixListIds.map((PrefixListId) => ({ PrefixListId }));
  if (p.groups.length) {
    wire.UserIdGroupPairs = p.groups.map((g) => ({
      GroupId: g.groupId,
      GroupName: g.groupId ? undefined : g.groupName,
      UserId: g.userId,
    }));
  }
  return wire;
}

/** A rule as DescribeSecurityGroupRules describes it: id, group, direction, definition, tags. */
function ruleOf(r: SecurityGroupRule & { SecurityGroupRuleId: string }): TaggedRule {
  return {
    ruleId: r.SecurityGroupRuleId,
    groupId: r.GroupId ?? '',
    isEgress: r.IsEgress === true,
    ipProtocol: r.IpProtocol ?? '',
    fromPort: r.FromPort,
    toPort: r.ToPort,
    cidrIpv4: r.CidrIpv4,
    cidrIpv6: r.CidrIpv6,
    prefixListId: r.PrefixListId,
    referencedGroupId: r.ReferencedGroupInfo?.GroupId,
    referencedUserId: r.ReferencedGroupInfo?.UserId,
    description: r.Description,
    tags: Object.fromEntries(
      (r.Tags ?? []).flatMap((t): [string, string][] => (t.Key === undefined ? [] : [[t.Key, t.Value ?? '']])),
    ),
  };
}

/** Every rule matching one filter, with its values, group and tags (DescribeSecurityGroupRules, paginated). */
async function describeAll(client: EC2Client, name: string, value: string): Promise<TaggedRule[]> {
  const rules: TaggedRule[] = [];
  let NextToken: string | undefined;
  do {
    const out = await client.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: name, Values: [value] }], NextToken }),
    );
    for (const r of out.SecurityGroupRules ?? [])
      if (r.SecurityGroupRuleId) rules.push(ruleOf({ ...r, SecurityGroupRuleId: r.SecurityGroupRuleId }));
    NextToken = out.NextToken;
  } while (NextToken);
  return rules;
}

/** A definition as ModifySecurityGroupRules takes it: ports only where the protocol has them, one source. */
export function ruleRequest(d: RuleDefinition): SecurityGroupRuleRequest {
  const ported = ['tcp', 'udp', 'icmp', 'icmpv6'].includes(protocol(d.ipProtocol)) && d.fromPort !== undefined;
  return {
    IpProtocol: d.ipProtocol,
    ...(ported ? { FromPort: d.fromPort, ToPort: d.toPort } : {}),
    CidrIpv4: d.cidrIpv4,
    CidrIpv6: d.cidrIpv6,
    PrefixListId: d.prefixListId,
    ReferencedGroupId: d.referencedGroupId,
    ...(d.description !== undefined ? { Description: d.description } : {}),
  };
}

export function ec2Port(client: EC2Client): Ec2Port {
  return {
    async describeGroup({ groupId, groupName }) {
      try {
        const out = await client.send(
          new DescribeSecurityGroupsCommand(groupId ? { GroupIds: [groupId] } : { GroupNames: [groupName ?? ''] }),
        );
        const g = out.SecurityGroups?.[0];
        if (!g?.GroupId) return undefined;
        const tags: Record<string, string> = {};
        for (const t of g.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
        return { groupId: g.GroupId, vpcId: g.VpcId, tags };
      } catch (err) {
        if (errorCode(err) === 'InvalidGroup.NotFound') return undefined;
        throw err;
      }
    },
    async describeRules(ruleIds) {
      const out = await client.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ruleIds }));
      return (out.SecurityGroupRules ?? []).flatMap((r): RuleInfo[] =>
        r.SecurityGroupRuleId && r.GroupId ? [ruleOf({ ...r, SecurityGroupRuleId: r.SecurityGroupRuleId })] : [],
      );
    },
    groupRules: (groupId) => describeAll(client, 'group-id', groupId),
    taggedRules: (key) => describeAll(client, 'tag-key', key),
    async tagRules(ruleIds, tags) {
      await client.send(
        new CreateTagsCommand({
          Resources: ruleIds,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    },
    async untag(resources, keys) {
      await client.send(new DeleteTagsCommand({ Resources: resources, Tags: keys.map((Key) => ({ Key })) }));
    },
    async revoke({ direction, groupId, ruleIds, permissions }) {
      const input = ruleIds
        ? { GroupId: groupId, SecurityGroupRuleIds: ruleIds }
        : { GroupId: groupId, IpPermissions: (permissions ?? []).map(toWire) };
      const out =
        direction === 'egress'
          ? await client.send(new RevokeSecurityGroupEgressCommand(input))
          : await client.send(new RevokeSecurityGroupIngressCommand(input));
      return { unknownPermissions: out.UnknownIpPermissions?.length ?? 0 };
    },
    async modifyRules(groupId, rules) {
      await client.send(
        new ModifySecurityGroupRulesCommand({
          GroupId: groupId,
          SecurityGroupRules: rules.map((r) => ({
            SecurityGroupRuleId: r.ruleId,
            SecurityGroupRule: ruleRequest(r.definition),
          })),
        }),
      );
    },
    async describePrefixList(prefixListId) {
      try {
        const out = await client.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [prefixListId] }));
        const l = out.PrefixLists?.find((x) => x.PrefixListId === prefixListId);
        if (!l) return undefined;
        return { prefixListId, ownerId: l.OwnerId ?? '', version: l.Version ?? 0, state: l.State ?? '' };
      } catch (err) {
        if (errorCode(err) === 'InvalidPrefixListID.NotFound' || errorCode(err) === 'InvalidPrefixListId.NotFound')
          return undefined;
        throw err;
      }
    },
    async prefixListEntries(PrefixListId, TargetVersion) {
      const cidrs: string[] = [];
      let NextToken: string | undefined;
      do {
        const out = await client.send(
          new GetManagedPrefixListEntriesCommand({ PrefixListId, TargetVersion, NextToken }),
        );
        for (const e of out.Entries ?? []) if (e.Cidr) cidrs.push(e.Cidr);
        NextToken = out.NextToken;
      } while (NextToken);
      return cidrs;
    },
    async restorePrefixList(PrefixListId, PreviousVersion, CurrentVersion) {
      await client.send(new RestoreManagedPrefixListVersionCommand({ PrefixListId, PreviousVersion, CurrentVersion }));
    },
    async groupVpcAssociations(groupId) {
      const out: { vpcId: string; state: string }[] = [];
      let NextToken: string | undefined;
      do {
        const page = await client.send(
          new DescribeSecurityGroupVpcAssociationsCommand({
            Filters: [{ Name: 'group-id', Values: [groupId] }],
            NextToken,
          }),
        );
        for (const a of page.SecurityGroupVpcAssociations ?? [])
          if (a.VpcId && a.GroupId === groupId) out.push({ vpcId: a.VpcId, state: a.State ?? '' });
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
    async disassociateGroupVpc(GroupId, VpcId) {
      await client.send(new DisassociateSecurityGroupVpcCommand({ GroupId, VpcId }));
    },
    async interfaces({ networkInterfaceId, instanceId }) {
      const one = (e: {
        NetworkInterfaceId?: string;
        VpcId?: string;
        Groups?: { GroupId?: string }[];
      }): InterfaceInfo[] =>
        e.NetworkInterfaceId
          ? [
              {
                networkInterfaceId: e.NetworkInterfaceId,
                vpcId: e.VpcId,
                groupIds: (e.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
              },
            ]
          : [];
      if (networkInterfaceId) {
        const out = await client.send(
          new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [networkInterfaceId] }),
        );
        return (out.NetworkInterfaces ?? []).flatMap(one);
      }
      // (the parser always gives one of the two ids; never ask EC2 about an empty one)
      if (!instanceId) return [];
      const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      return (out.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .filter((i) => i.InstanceId === instanceId)
        .flatMap((i) => (i.NetworkInterfaces ?? []).flatMap(one));
    },
  };
}

export function snsPort(client: SNSClient): SnsPort {
  return {
    async publish(topicArn, subject, message) {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    },
  };
}

export function sqsPort(client: SQSClient): SqsPort {
  return {
    async changeVisibility(QueueUrl, ReceiptHandle, VisibilityTimeout) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout }));
    },
    async receive(QueueUrl, max, VisibilityTimeout, WaitTimeSeconds) {
      const out = await client.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: max,
          VisibilityTimeout,
          WaitTimeSeconds,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount', 'DeadLetterQueueSourceArn'],
        }),
      );
      return (out.Messages ?? []).flatMap((m): DeadLetter[] =>
        m.ReceiptHandle
          ? [
              {
                messageId: (m.MessageId ?? '').slice(0, 128),
                receiptHandle: m.ReceiptHandle,
                body: m.Body ?? '',
                sentAt: Number(m.Attributes?.SentTimestamp) || 0,
                receiveCount: Number(m.Attributes?.ApproximateReceiveCount) || 1,
                sourceQueueArn: m.Attributes?.DeadLetterQueueSourceArn,
              },
            ]
          : [],
      );
    },
    async delete(QueueUrl, ReceiptHandle) {
      await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
    },
    async depth(QueueUrl) {
      const out = await client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      const n = Number(out.Attributes?.ApproximateNumberOfMessages);
      return Number.isInteger(n) && n >= 0 ? n : -1;
    },
  };
}
