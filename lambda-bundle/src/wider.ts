// "Is it wider?", written once: whether a rule's new definition grants anything its previous one did not. Pure.
// A rule grants one protocol (-1: every protocol), on a range of ports (TCP, UDP) or an ICMP type and code (-1:
// every type, or every code of the type), from one source. The new definition is within the previous one when all
// three are: the previous protocol is -1 or the same one; the new ports lie within the previous ones; the new source
// lies within the previous one (an IPv4 CIDR inside an IPv4 CIDR, an IPv6 CIDR inside an IPv6 CIDR, never across
// families; a prefix list or a referenced group only when it is the very same one, since guardrail cannot see what
// either holds). The description grants nothing. A definition that cannot be read is never within anything: an
// unreadable new definition counts as wider, and an unreadable previous one is no previous definition at all.
import { cidrWithin, parseCidr } from './contain.js';
import { protocol as protocolName } from './revert.js';
import type { RuleDefinition } from './types.js';

type Ports =
  { kind: 'all' } | { kind: 'range'; from: number; to: number } | { kind: 'icmp'; type: number; code: number };
type Source =
  | { kind: 'ipv4' | 'ipv6'; cidr: string }
  | { kind: 'prefix-list'; id: string }
  | { kind: 'group'; id: string; user?: string };

/** What a definition grants, normalised. */
export interface Access {
  protocol: string;
  ports: Ports;
  source: Source;
}

const whole = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function portsOf(protocol: string, from: unknown, to: unknown): Ports | undefined {
  if (protocol === 'tcp' || protocol === 'udp') {
    // EC2 describes "all ports" as 0-65535; -1 on both ends means the same in its requests
    if (from === -1 && to === -1) return { kind: 'range', from: 0, to: 65535 };
    return whole(from, 0, 65535) && whole(to, 0, 65535) && from <= to ? { kind: 'range', from, to } : undefined;
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = from ?? -1;
    const code = to ?? -1;
    if (!whole(type, -1, 255) || !whole(code, -1, 255)) return undefined;
    // every type means every code of every type
    return { kind: 'icmp', type, code: type === -1 ? -1 : code };
  }
  // every protocol, or one without ports (ESP, GRE, …): all of its traffic
  return { kind: 'all' };
}

function sourceOf(d: RuleDefinition): Source | undefined {
  const given = [d.cidrIpv4, d.cidrIpv6, d.prefixListId, d.referencedGroupId].filter(
    (v) => v !== undefined && v !== '',
  );
  if (given.length !== 1) return undefined;
  if (d.cidrIpv4 !== undefined || d.cidrIpv6 !== undefined) {
    const cidr = (d.cidrIpv4 ?? d.cidrIpv6)!;
    const family = parseCidr(cidr)?.family;
    const wanted = d.cidrIpv4 !== undefined ? 'ipv4' : 'ipv6';
    return family === wanted ? { kind: wanted, cidr } : undefined;
  }
  if (d.prefixListId !== undefined)
    return /^pl-[0-9a-z]{1,32}$/.test(d.prefixListId) ? { kind: 'prefix-list', id: d.prefixListId } : undefined;
  const id = d.referencedGroupId!;
  const user = d.referencedUserId;
  if (!/^sg-[0-9a-z]{1,32}$/.test(id) || (user !== undefined && !/^\d{12}$/.test(user))) return undefined;
  return { kind: 'group', id, ...(user !== undefined ? { user } : {}) };
}

/** The access a definition grants, or undefined when it cannot be read whole. */
export function accessOf(d: RuleDefinition): Access | undefined {
  if (typeof d.ipProtocol !== 'string') return undefined;
  const protocol = protocolName(d.ipProtocol.trim());
  if (!/^(-1|tcp|udp|icmp|icmpv6|\d{1,3})$/.test(protocol)) return undefined;
  const ports = portsOf(protocol, d.fromPort, d.toPort);
  const source = sourceOf(d);
  return ports && source ? { protocol, ports, source } : undefined;
}

function portsWithin(inner: Ports, outer: Ports): boolean {
  if (outer.kind === 'all') return true;
  if (inner.kind === 'range' && outer.kind === 'range') return outer.from <= inner.from && inner.to <= outer.to;
  if (inner.kind === 'icmp' && outer.kind === 'icmp') {
    return outer.type === -1 || (outer.type === inner.type && (outer.code === -1 || outer.code === inner.code));
  }
  return false;
}

function sourceWithin(inner: Source, outer: Source): boolean {
  if (inner.kind !== outer.kind) return false;
  if ('cidr' in inner && 'cidr' in outer) return cidrWithin(inner.cidr, outer.cidr);
  if (inner.kind === 'prefix-list' || outer.kind === 'prefix-list')
    return 'id' in inner && 'id' in outer && inner.id === outer.id;
  // the very same group (of the same account, when both say which)
  const [a, b] = [inner as Extract<Source, { kind: 'group' }>, outer as Extract<Source, { kind: 'group' }>];
  return a.id === b.id && (a.user === undefined || b.user === undefined || a.user === b.user);
}

/** Everything `inner` grants, `outer` grants too. */
export function within(inner: Access, outer: Access): boolean {
  if (outer.protocol !== '-1' && outer.protocol !== inner.protocol) return false;
  return (outer.protocol === '-1' || portsWithin(inner.ports, outer.ports)) && sourceWithin(inner.source, outer.source);
}

/** Whether `after` grants anything `before` did not. What cannot be read is wider. */
export function isWider(before: RuleDefinition, after: RuleDefinition): boolean {
  const a = accessOf(after);
  const b = accessOf(before);
  return !a || !b || !within(a, b);
}

/** The two grant exactly the same (descriptions aside). */
export function sameAccess(x: RuleDefinition, y: RuleDefinition): boolean {
  const a = accessOf(x);
  const b = accessOf(y);
  return !!a && !!b && within(a, b) && within(b, a);
}

/** `tcp/5432 10.0.0.0/16`, `all 0.0.0.0/0`, `icmp/8:0 ::/0`, `udp/53-54 pl-0abc`: for reasons and notifications. */
export function show(d: RuleDefinition): string {
  const p = protocolName(String(d.ipProtocol));
  const source = d.cidrIpv4 ?? d.cidrIpv6 ?? d.prefixListId ?? d.referencedGroupId ?? '?';
  if (p === '-1') return `all ${source}`;
  if (p === 'icmp' || p === 'icmpv6') return `${p}/${d.fromPort ?? -1}:${d.toPort ?? -1} ${source}`;
  if (p !== 'tcp' && p !== 'udp') return `${p} ${source}`;
  return `${p}/${d.fromPort === d.toPort ? String(d.fromPort) : `${d.fromPort}-${d.toPort}`} ${source}`;
}

export interface Comparison {
  wider: boolean;
  /** wider than before (…), narrower than before (…), description only, no change */
  reason: string;
}

/** The verdict on a modification, with the reason the decision line carries. */
export function compare(before: RuleDefinition, after: RuleDefinition): Comparison {
  const change = `${show(before)} → ${show(after)}`;
  if (isWider(before, after)) return { wider: true, reason: `wider than before (${change})` };
  if (!sameAccess(before, after)) return { wider: false, reason: `narrower than before (${change})` };
  return {
    wider: false,
    reason: (before.description ?? '') === (after.description ?? '') ? 'no change' : 'description only',
  };
}

/** The source is the whole internet (0.0.0.0/0 or ::/0). */
export function openToWorld(d: RuleDefinition): boolean {
  const cidr = d.cidrIpv4 ?? d.cidrIpv6;
  return cidr !== undefined && parseCidr(cidr)?.prefix === 0;
}
