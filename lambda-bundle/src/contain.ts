// Whether an approved rule contains an observed one. Pure, and strict: anything it cannot read is not contained.
// Contained = same direction; same protocol (an approval for all traffic, -1, contains every protocol); the observed
// ports within the approved range (ICMP: fromPort is the type and toPort the code, each matching exactly or -1 for
// any); and the observed source within the approved one (an IPv4 or IPv6 CIDR inside the approved CIDR of the same
// family, or the very same prefix list or group).
import { BlockList, isIP } from 'node:net';
import { protocol as protocolName } from './revert.js';
import type { GroupRule } from './types.js';

/** One rule of an approval, as the store keeps it (protocol already normalised by `guardrail approve`). */
export interface ApprovedRule {
  direction: 'ingress' | 'egress';
  /** tcp, udp, icmp, icmpv6 or -1 (all) */
  protocol: string;
  fromPort: number;
  toPort: number;
  /** an IPv4 or IPv6 CIDR, pl-… or sg-… */
  source: string;
}

/** A CIDR's address, prefix length and family, or undefined when it is not a valid IPv4 or IPv6 CIDR. */
export function parseCidr(cidr: string): { addr: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const m = /^([^/%]+)\/(\d{1,3})$/.exec(cidr);
  const v = m ? isIP(m[1]!) : 0;
  return v && +m![2]! <= (v === 6 ? 128 : 32)
    ? { addr: m![1]!, prefix: +m![2]!, family: v === 6 ? 'ipv6' : 'ipv4' }
    : undefined;
}

/**
 * `inner` lies within `outer`: the same family, inner's prefix at least as long, and inner's address inside outer's
 * block (Node's own BlockList does the bit work, for IPv4 and IPv6 alike).
 */
export function cidrWithin(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  if (!i || !o || i.family !== o.family || i.prefix < o.prefix) return false;
  const block = new BlockList();
  block.addSubnet(o.addr, o.prefix, o.family);
  return block.check(i.addr, i.family);
}

function portsWithin(protocol: string, r: GroupRule, a: ApprovedRule): boolean {
  if (a.protocol === '-1' || protocol === '-1') return true;
  const { fromPort: from, toPort: to } = r;
  if (from === undefined || to === undefined) return false;
  if (protocol.startsWith('icmp'))
    return (a.fromPort === -1 || a.fromPort === from) && (a.toPort === -1 || a.toPort === to);
  return a.fromPort >= 0 && a.fromPort <= from && from <= to && to <= a.toPort;
}

function sourceWithin(r: GroupRule, source: string): boolean {
  if (r.cidrIpv4 !== undefined) return cidrWithin(r.cidrIpv4, source);
  if (r.cidrIpv6 !== undefined) return cidrWithin(r.cidrIpv6, source);
  return source === (r.prefixListId ?? r.referencedGroupId);
}

export function contains(a: ApprovedRule, r: GroupRule): boolean {
  const protocol = protocolName(r.ipProtocol);
  return (
    r.isEgress === (a.direction === 'egress') &&
    (a.protocol === '-1' || a.protocol === protocol) &&
    portsWithin(protocol, r, a) &&
    sourceWithin(r, a.source)
  );
}
