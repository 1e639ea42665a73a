// CloudTrail records for the EC2 security-group calls, in today's format (eventVersion 1.10), as AWS writes them:
// requestParameters in camelCase with lists as {"items": [...]} and empty collections as {}, responseElements with
// the new rules' ids, and the caller's userIdentity. ModifySecurityGroupRules is recorded with PascalCase keys under
// requestParameters.ModifySecurityGroupRulesRequest, as CloudTrail records it.
import type { Caller } from '../types.js';
import type { Credentials, SecurityGroupRule } from '../state.js';
import { roleIdFor } from '../server.js';

export interface TrailCall {
  caller: Caller;
  /** the credentials behind an assumed-role caller (for sessionContext.attributes.creationDate) */
  credentials?: Credentials;
  accountId: string;
  region: string;
  requestId: string;
  eventId: string;
  userAgent: string;
  eventTime: Date;
}

/** `2024-10-14T14:11:38Z`: CloudTrail's timestamps carry no milliseconds. */
export function trailTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `at`: when the call was made (simulated time), the session's creation date when its credentials are unknown. */
export function userIdentity(caller: Caller, credentials?: Credentials, at = Date.now()): Record<string, unknown> {
  if (!caller.assumedRole || !caller.roleArn) {
    return {
      type: 'Root',
      principalId: caller.accountId,
      arn: caller.arn,
      accountId: caller.accountId,
      accessKeyId: caller.accessKeyId,
    };
  }
  const issued = credentials?.issuedAt ?? at;
  return {
    type: 'AssumedRole',
    principalId: caller.userId,
    arn: caller.arn,
    accountId: caller.accountId,
    accessKeyId: caller.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleIdFor(caller.roleArn),
        arn: caller.roleArn,
        accountId: caller.accountId,
        userName: caller.roleName ?? caller.roleArn.split('/').pop(),
      },
      webIdFederationData: {},
      attributes: { creationDate: trailTime(new Date(issued)), mfaAuthenticated: 'false' },
    },
  };
}

export function buildRecord(
  call: TrailCall,
  eventName: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown>,
): Record<string, unknown> {
  return {
    eventVersion: '1.10',
    userIdentity: userIdentity(call.caller, call.credentials, call.eventTime.getTime()),
    eventTime: trailTime(call.eventTime),
    eventSource: 'ec2.amazonaws.com',
    eventName,
    awsRegion: call.region,
    sourceIPAddress: '127.0.0.1',
    userAgent: call.userAgent,
    requestParameters,
    responseElements,
    requestID: call.requestId,
    eventID: call.eventId,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: call.accountId,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `ec2.${call.region}.amazonaws.com`,
    },
  };
}

/** CloudTrail's list shape: {"items": [...]}, or {} when empty. */
function items(list: unknown[]): Record<string, unknown> {
  return list.length ? { items: list } : {};
}

function asArray(v: unknown): Record<string, unknown>[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]) as Record<string, unknown>[];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Drops undefined values, so the record carries only what the caller gave. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** One IpPermission of the (decoded EC2 Query) request, as CloudTrail writes it. */
function permission(p: Record<string, unknown>): Record<string, unknown> {
  return compact({
    ipProtocol: str(p.IpProtocol),
    fromPort: int(p.FromPort),
    toPort: int(p.ToPort),
    groups: items(
      asArray(p.Groups).map((g) =>
        compact({
          userId: str(g.UserId),
          groupId: str(g.GroupId),
          groupName: str(g.GroupName),
          vpcId: str(g.VpcId),
          vpcPeeringConnectionId: str(g.VpcPeeringConnectionId),
          description: str(g.Description),
        }),
      ),
    ),
    ipRanges: items(
      asArray(p.IpRanges).map((r) => compact({ cidrIp: str(r.CidrIp), description: str(r.Description) })),
    ),
    ipv6Ranges: items(
      asArray(p.Ipv6Ranges).map((r) => compact({ cidrIpv6: str(r.CidrIpv6), description: str(r.Description) })),
    ),
    prefixListIds: items(
      asArray(p.PrefixListIds).map((r) =>
        compact({ prefixListId: str(r.PrefixListId), description: str(r.Description) }),
      ),
    ),
  });
}

/** requestParameters of AuthorizeSecurityGroupIngress/Egress, from the decoded Query input. */
export function authorizeRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return compact({
    groupId: str(input.GroupId),
    groupName: str(input.GroupName),
    ipPermissions: items(asArray(input.IpPermissions).map(permission)),
    // the legacy single-rule parameters, when the caller used them
    ipProtocol: str(input.IpProtocol),
    fromPort: int(input.FromPort),
    toPort: int(input.ToPort),
    cidrIp: str(input.CidrIp),
    sourceSecurityGroupName: str(input.SourceSecurityGroupName),
    sourceSecurityGroupOwnerId: str(input.SourceSecurityGroupOwnerId),
  });
}

/** A rule as securityGroupRuleSet items carry it (responseElements). */
export function ruleElement(rule: SecurityGroupRule, region: string): Record<string, unknown> {
  return compact({
    groupOwnerId: rule.groupOwnerId,
    groupId: rule.groupId,
    securityGroupRuleId: rule.ruleId,
    securityGroupRuleArn: `arn:aws:ec2:${region}:${rule.groupOwnerId}:security-group-rule/${rule.ruleId}`,
    isEgress: rule.isEgress,
    ipProtocol: rule.ipProtocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    cidrIpv4: rule.cidrIpv4,
    cidrIpv6: rule.cidrIpv6,
    prefixListId: rule.prefixListId,
    referencedGroupInfo: rule.referencedGroup
      ? { userId: rule.referencedGroup.userId, groupId: rule.referencedGroup.groupId }
      : undefined,
    description: rule.description,
  });
}

export function authorizeResponseElements(
  requestId: string,
  rules: SecurityGroupRule[],
  region: string,
): Record<string, unknown> {
  return { requestId, _return: true, securityGroupRuleSet: items(rules.map((r) => ruleElement(r, region))) };
}

/**
 * requestParameters of ModifySecurityGroupRules: PascalCase under ModifySecurityGroupRulesRequest, each update with
 * CloudTrail's positional `tag` (its number in the Query list), as a record captured from AWS shows it for one rule
 * (see docs/protection.md, "Modified rules").
 */
export function modifyRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  const updates = asArray(input.SecurityGroupRule).map((u, i) => {
    const r = (u.SecurityGroupRule ?? {}) as Record<string, unknown>;
    return compact({
      SecurityGroupRuleId: str(u.SecurityGroupRuleId),
      tag: i + 1,
      SecurityGroupRule: compact({
        IpProtocol: str(r.IpProtocol),
        FromPort: int(r.FromPort),
        ToPort: int(r.ToPort),
        CidrIpv4: str(r.CidrIpv4),
        CidrIpv6: str(r.CidrIpv6),
        PrefixListId: str(r.PrefixListId),
        ReferencedGroupId: str(r.ReferencedGroupId),
        Description: str(r.Description),
      }),
    });
  });
  // a single update is recorded as an object, several as a list (CloudTrail's rendering of the Query list)
  return {
    ModifySecurityGroupRulesRequest: compact({
      GroupId: str(input.GroupId),
      SecurityGroupRule: updates.length === 1 ? updates[0] : updates,
    }),
  };
}

export function modifyResponseElements(requestId: string): Record<string, unknown> {
  return { ModifySecurityGroupRulesResponse: { requestId, return: true } };
}

/**
 * requestParameters of CreateTags and DeleteTags: `resourcesSet.items[].resourceId` and `tagSet.items[]` with `key`
 * and (when the call gave one) `value`, as CloudTrail records them (see the README for the records this follows).
 */
export function tagsRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return {
    resourcesSet: items(asArray(input.ResourceId).map((id) => ({ resourceId: String(id) }))),
    tagSet: items(asArray(input.Tag).map((t) => compact({ key: str(t.Key), value: str(t.Value) }))),
  };
}

/** responseElements of calls that answer only `return` (CreateTags, DeleteTags). */
export function returnResponseElements(requestId: string): Record<string, unknown> {
  return { requestId, _return: true };
}

/**
 * requestParameters of CreateSecurityGroup: groupName, groupDescription, vpcId (when given) and, with
 * TagSpecifications, `tagSpecificationSet.items[]` of `{resourceType, tags: [{key, value}]}` (tags a plain list, as
 * CloudTrail writes tag specifications).
 */
export function createSecurityGroupRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  const specs = asArray(input.TagSpecification);
  return compact({
    groupName: str(input.GroupName),
    groupDescription: str(input.GroupDescription),
    vpcId: str(input.VpcId),
    tagSpecificationSet: specs.length
      ? items(
          specs.map((s) =>
            compact({
              resourceType: str(s.ResourceType),
              tags: asArray(s.Tag).map((t) => compact({ key: str(t.Key), value: str(t.Value) })),
            }),
          ),
        )
      : undefined,
  });
}

/** responseElements of CreateSecurityGroup: CloudTrail records the new group's id (not the ARN the API now answers). */
export function createSecurityGroupResponseElements(requestId: string, groupId: string): Record<string, unknown> {
  return { requestId, _return: true, groupId };
}

// ---------------------------------------------------------------- issue N: prefix lists, VPC associations, attachments
// The shapes of test/fixtures/cloudtrail-n/ (its README gives the source of each). Calls made since about 2019
// (managed prefix lists, security-group VPC associations) are recorded "new style": PascalCase keys under
// requestParameters.<Action>Request, the answer under responseElements.<Action>Response, one list item an object
// and several a list, each item with its positional `tag` as a string (the real ModifyManagedPrefixList record shows
// `"tag": "1"`, and spells the entry's CIDR `cidr`). The older attribute calls are recorded "old style", lower-camel
// with lists as {"items": [...]}.

/** One item an object, several a list, none left out; each with its position as `tag`. */
function tagged(list: Record<string, unknown>[]): unknown {
  const out = list.map((x, i) => ({ ...x, tag: String(i + 1) }));
  return out.length === 0 ? undefined : out.length === 1 ? out[0] : out;
}

export interface PrefixListElement {
  prefixListId: string;
  addressFamily: string;
  state: string;
  prefixListArn: string;
  prefixListName: string;
  maxEntries?: number;
  version: number;
  ownerId: string;
}

export function createPrefixListRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return {
    CreateManagedPrefixListRequest: compact({
      PrefixListName: str(input.PrefixListName),
      Entry: tagged(asArray(input.Entry).map((e) => compact({ Description: str(e.Description), cidr: str(e.Cidr) }))),
      MaxEntries: int(input.MaxEntries),
      AddressFamily: str(input.AddressFamily),
      TagSpecification: tagged(
        asArray(input.TagSpecification).map((s) =>
          compact({
            ResourceType: str(s.ResourceType),
            Tag: tagged(asArray(s.Tag).map((t) => compact({ Key: str(t.Key), Value: str(t.Value) }))),
          }),
        ),
      ),
      ClientToken: str(input.ClientToken),
    }),
  };
}

export function modifyPrefixListRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return {
    ModifyManagedPrefixListRequest: compact({
      CurrentVersion: int(input.CurrentVersion),
      AddEntry: tagged(
        asArray(input.AddEntry).map((e) => compact({ Description: str(e.Description), cidr: str(e.Cidr) })),
      ),
      RemoveEntry: tagged(asArray(input.RemoveEntry).map((e) => compact({ cidr: str(e.Cidr) }))),
      MaxEntries: int(input.MaxEntries),
      PrefixListName: str(input.PrefixListName),
      PrefixListId: str(input.PrefixListId),
    }),
  };
}

export function restorePrefixListRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return {
    RestoreManagedPrefixListVersionRequest: compact({
      PrefixListId: str(input.PrefixListId),
      PreviousVersion: int(input.PreviousVersion),
      CurrentVersion: int(input.CurrentVersion),
    }),
  };
}

export function deletePrefixListRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return { DeleteManagedPrefixListRequest: compact({ PrefixListId: str(input.PrefixListId) }) };
}

/** responseElements of the prefix-list calls: the list as the answer shows it (the operation in progress). */
export function prefixListResponseElements(
  action: string,
  requestId: string,
  prefixList: PrefixListElement,
): Record<string, unknown> {
  return { [`${action}Response`]: { requestId, prefixList: compact({ ...prefixList }) } };
}

/** AssociateSecurityGroupVpc / DisassociateSecurityGroupVpc: request and answer. */
export function groupVpcRequestParameters(action: string, input: Record<string, unknown>): Record<string, unknown> {
  return { [`${action}Request`]: compact({ GroupId: str(input.GroupId), VpcId: str(input.VpcId) }) };
}

export function groupVpcResponseElements(action: string, requestId: string, state: string): Record<string, unknown> {
  return { [`${action}Response`]: { requestId, state } };
}

const REDACTED = '<sensitiveDataRemoved>';

function boolValue(v: unknown): { value: boolean } | undefined {
  const raw = (v as Record<string, unknown> | undefined)?.Value;
  return raw === undefined ? undefined : { value: String(raw).toLowerCase() === 'true' };
}

function strValue(v: unknown): { value: string } | undefined {
  const raw = (v as Record<string, unknown> | undefined)?.Value;
  return raw === undefined ? undefined : { value: String(raw) };
}

function groupSet(ids: unknown): Record<string, unknown> | undefined {
  const list = asArray(ids as unknown[]).map(String);
  return list.length ? { items: list.map((groupId) => ({ groupId })) } : undefined;
}

/**
 * ModifyNetworkInterfaceAttribute: `networkInterfaceId` and the one attribute given (`groupSet` for SecurityGroupId.N).
 */
export function modifyInterfaceRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  const attachment = input.Attachment as Record<string, unknown> | undefined;
  return compact({
    networkInterfaceId: str(input.NetworkInterfaceId),
    groupSet: groupSet(input.SecurityGroupId),
    sourceDestCheck: boolValue(input.SourceDestCheck),
    description: strValue(input.Description),
    attachment: attachment
      ? compact({
          attachmentId: str(attachment.AttachmentId),
          deleteOnTermination:
            attachment.DeleteOnTermination === undefined
              ? undefined
              : String(attachment.DeleteOnTermination) === 'true',
        })
      : undefined,
  });
}

/**
 * ModifyInstanceAttribute: `instanceId` and the attribute given: `groupSet` for GroupId.N, `{value}` objects for the
 * others (booleans for the boolean attributes), `attribute` and a redacted `value` for the Attribute/Value form and
 * userData redacted, as the real records show them (test/fixtures/cloudtrail-n/README.md).
 */
export function modifyInstanceRequestParameters(input: Record<string, unknown>): Record<string, unknown> {
  return compact({
    instanceId: str(input.InstanceId),
    groupSet: groupSet(input.GroupId),
    instanceType: strValue(input.InstanceType),
    kernel: strValue(input.Kernel),
    ramdisk: strValue(input.Ramdisk),
    userData: input.UserData === undefined ? undefined : REDACTED,
    instanceInitiatedShutdownBehavior: strValue(input.InstanceInitiatedShutdownBehavior),
    sriovNetSupport: strValue(input.SriovNetSupport),
    disableApiTermination: boolValue(input.DisableApiTermination),
    disableApiStop: boolValue(input.DisableApiStop),
    sourceDestCheck: boolValue(input.SourceDestCheck),
    ebsOptimized: boolValue(input.EbsOptimized),
    enaSupport: boolValue(input.EnaSupport),
    attribute: str(input.Attribute),
    value: input.Value === undefined ? undefined : REDACTED,
  });
}
