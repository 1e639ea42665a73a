// The RULE of `guardrail approve --rule`: `PROTOCOL/PORT[-PORT] SOURCE [ingress|egress]`.
//  - PROTOCOL: tcp, udp, icmp, icmpv6 or all. tcp and udp need ports 0-65535 (tcp/443, tcp/8000-8080). For icmp and
//    icmpv6 the numbers are the ICMP type and code (icmp/8, icmp/3-4); omitted or -1 means any. `all` takes no ports
//    (or -1).
//  - SOURCE: an IPv4 or IPv6 CIDR, a prefix list pl-…, or a security group sg-….
//  - direction: ingress (the default) or egress.
// The result is the shape the store keeps and the function's containment check reads (lambda-bundle/src/contain.ts).

export interface ApprovalRule {
  direction: 'ingress' | 'egress';
  /** tcp, udp, icmp, icmpv6 or -1 (all) */
  protocol: string;
  fromPort: number;
  toPort: number;
  source: string;
}

const V4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;
const V6 = /^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
const PREFIX_LIST = /^pl-[0-9a-f]{8,17}$/;
const GROUP = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;

function validV6(cidr: string): boolean {
  if (!V6.test(cidr)) return false;
  const addr = cidr.split('/')[0]!;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h ? h.split(':') : []));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

export const RULE_FORMAT = 'PROTOCOL/PORT[-PORT] SOURCE [ingress|egress], e.g. "tcp/443 203.0.113.0/24"';

/** The rule, or the reason it is not one. */
export function parseRule(text: string): ApprovalRule | string {
  const words = text.trim().split(/\s+/);
  if (words.length < 2 || words.length > 3) return `expected ${RULE_FORMAT}`;
  const [what, source, dir = 'ingress'] = words as [string, string, string?];
  if (dir !== 'ingress' && dir !== 'egress') return `direction must be ingress or egress, got "${dir}"`;
  const m = /^(tcp|udp|icmpv6|icmp|all)(?:\/(-1|\d{1,5})(?:-(-1|\d{1,5}))?)?$/i.exec(what);
  if (!m) return `"${what}" is not PROTOCOL/PORT[-PORT] (protocol tcp, udp, icmp, icmpv6 or all)`;
  const protocol = m[1]!.toLowerCase() === 'all' ? '-1' : m[1]!.toLowerCase();
  const a = m[2] === undefined ? undefined : Number(m[2]);
  const b = m[3] === undefined ? a : Number(m[3]);
  let fromPort: number;
  let toPort: number;
  if (protocol === '-1') {
    if ((a !== undefined && a !== -1) || (b !== undefined && b !== -1))
      return 'all takes no ports (it covers every protocol and port)';
    [fromPort, toPort] = [-1, -1];
  } else if (protocol === 'tcp' || protocol === 'udp') {
    if (a === undefined || b === undefined)
      return `${protocol} needs a port or a range, e.g. ${protocol}/443 or ${protocol}/8000-8080`;
    if (a < 0 || b < 0 || a > 65535 || b > 65535) return `ports must be 0-65535, got ${what}`;
    if (a > b) return `the port range ${a}-${b} is backwards`;
    [fromPort, toPort] = [a, b];
  } else {
    // ICMP: the type, and the code when given (m[3]); -1 or nothing means any
    fromPort = a ?? -1;
    toPort = m[3] === undefined ? -1 : b!;
    if (fromPort > 255 || toPort > 255) return `ICMP type and code are 0-255 (or -1 for any), got ${what}`;
    if (fromPort === -1 && toPort !== -1) return 'an ICMP code needs a type';
  }
  const valid = V4.test(source) || validV6(source) || PREFIX_LIST.test(source) || GROUP.test(source);
  if (!valid) return `"${source}" is not an IPv4 or IPv6 CIDR, a prefix list (pl-…) or a security group (sg-…)`;
  return { direction: dir, protocol, fromPort, toPort, source: source.toLowerCase() };
}

/** "ingress tcp/443 from 203.0.113.0/24" */
export function describeRule(r: ApprovalRule): string {
  const ports =
    r.protocol === '-1'
      ? 'all'
      : r.fromPort === -1
        ? r.protocol
        : r.protocol.startsWith('icmp')
          ? `${r.protocol}/${r.fromPort}${r.toPort === -1 ? '' : `-${r.toPort}`}`
          : `${r.protocol}/${r.fromPort}${r.toPort === r.fromPort ? '' : `-${r.toPort}`}`;
  return `${r.direction} ${ports} ${r.direction === 'egress' ? 'to' : 'from'} ${r.source}`;
}
