// Whether an approved rule contains an observed one. Pure, and strict: anything it cannot read is not contained.
// Contained = same direction; same protocol (an approval for all traffic, -1, contains every protocol); the observed
// ports within the approved range (ICMP: fromPort is the type and toPort the code, each matching exactly or -1 for
// any); and the observed source within the approved one (an IPv4 or IPv6 CIDR inside the approved CIDR of the same
// family, or the very same prefix list or group).
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

const NAMES: Record<string, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6', all: '-1' };
export const protocolName = (p: string): string => NAMES[p.toLowerCase()] ?? p.toLowerCase();

/** The address as a number, or undefined. IPv6 in its usual forms (with ::), without an embedded IPv4 tail. */
function address(addr: string, v6: boolean): bigint | undefined {
  if (!v6) {
    const parts = addr.split('.');
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && +p < 256)) return undefined;
    return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
  }
  const halves = addr.split('::').map((h) => (h ? h.split(':') : []));
  const fill = 8 - halves.flat().length;
  if (halves.length > 2 || (halves.length === 2 ? fill < 1 : fill !== 0)) return undefined;
  const groups = [...halves[0]!, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...(halves[1] ?? [])];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.reduce((n, g) => (n << 16n) | BigInt(`0x${g}`), 0n);
}

/** A CIDR as [bits, address, prefix length], or undefined when it is not one. */
export function parseCidr(cidr: string): [number, bigint, number] | undefined {
  const m = /^([\d.]+|[\da-f:]+)\/(\d{1,3})$/i.exec(cidr);
  if (!m) return undefined;
  const bits = m[1]!.includes(':') ? 128 : 32;
  const value = address(m[1]!, bits === 128);
  const prefix = Number(m[2]);
  return value === undefined || prefix > bits ? undefined : [bits, value, prefix];
}

/** `inner` lies within `outer`: same family, prefix at least as long, same network bits. */
export function cidrWithin(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  if (!i || !o || i[0] !== o[0] || i[2] < o[2]) return false;
  const shift = BigInt(o[0] - o[2]);
  return i[1] >> shift === o[1] >> shift;
}

function portsWithin(protocol: string, r: GroupRule, a: ApprovedRule): boolean {
  if (a.protocol === '-1' || protocol === '-1') return true;
  const { fromPort: from, toPort: to } = r;
  if (from === undefined || to === undefined) return false;
  if (protocol.startsWith('icmp')) return (a.fromPort === -1 || a.fromPort === from) && (a.toPort === -1 || a.toPort === to);
  return a.fromPort >= 0 && a.fromPort <= from && from <= to && to <= a.toPort;
}

function sourceWithin(r: GroupRule, source: string): boolean {
  if (r.cidrIpv4 !== undefined) return cidrWithin(r.cidrIpv4, source);
  if (r.cidrIpv6 !== undefined) return cidrWithin(r.cidrIpv6, source);
  return source === (r.prefixListId ?? r.referencedGroupId);
}

export function contains(a: ApprovedRule, r: GroupRule): boolean {
  const protocol = protocolName(r.ipProtocol);
  return r.isEgress === (a.direction === 'egress') && (a.protocol === '-1' || a.protocol === protocol)
    && portsWithin(protocol, r, a) && sourceWithin(r, a.source);
}
