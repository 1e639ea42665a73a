// Every random draw the simulator makes comes from here, so a seed reproduces a run: the same seed and the same
// calls, in the same order, give the same throttled calls, the same keys and the same request ids.
// The generator is mulberry32 (32-bit state, period 2^32): fast, and plenty for fault injection. It is not
// cryptographic and does not need to be: the simulator's keys only have to be unique within one run.

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** `length` lowercase hex characters. */
  hex(length: number): string;
  /** A version-4-shaped UUID. */
  uuid(): string;
}

/** One independent stream per purpose, so that a new kind of draw never shifts the faults an existing test sees. */
export interface SimRandom {
  /** Throttling and any other injected fault. */
  faults: Rng;
  /** Access keys, secrets, session tokens. */
  keys: Rng;
  /** Request ids, message ids, invocation ids, and the ids of what the simulator creates (sg-, sgr-, stack ids). */
  ids: Rng;
  /** CloudWatch Logs stream names and event ids. */
  logs: Rng;
  /**
   * The ids of EC2 networking resources (VPCs made by CreateVpc, subnets, interfaces, instances, prefix lists, MACs).
   */
  network: Rng;
}

export function seededRandom(seed: number): SimRandom {
  return {
    faults: rng(seed, 'faults'),
    keys: rng(seed, 'keys'),
    ids: rng(seed, 'ids'),
    logs: rng(seed, 'logs'),
    network: rng(seed, 'network'),
  };
}

export function rng(seed: number, stream: string): Rng {
  let a = mix(seed, stream);
  const next32 = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const hex = (length: number): string => {
    let out = '';
    while (out.length < length) out += next32().toString(16).padStart(8, '0');
    return out.slice(0, length);
  };
  return {
    next: () => next32() / 4294967296,
    hex,
    uuid: () => {
      const h = hex(32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] ?? '0', 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}

/** FNV-1a over the seed and the stream's name: distinct, stable starting states. */
function mix(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (Math.trunc(seed) >>> 0);
  h = Math.imul(h, 0x01000193) >>> 0;
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h | 0;
}
