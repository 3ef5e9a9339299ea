// memberlist's tunables with the LAN, WAN and local profiles (reference/gossip-protocol.md §13).

export interface MemberlistConfig {
  /** This node's name (Consul: the node name on LAN, `<node>.<dc>` on WAN). */
  name: string;
  /** Address and port other nodes reach us on (the advertise address). */
  advertiseAddr: string;
  advertisePort: number;
  /** `[pmin, pmax, pcur, dmin, dmax, dcur]` as advertised in alive messages. */
  vsn: Uint8Array;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  indirectChecks: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  retransmitMult: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  gossipToTheDeadMs: number;
  pushPullIntervalMs: number;
  tcpTimeoutMs: number;
  awarenessMaxMultiplier: number;
  udpBufferSize: number;
  enableCompression: boolean;
  disableTcpPings: boolean;
  /** 0 = a dead node's name can never be taken by another address (Consul sets 30 s). */
  deadNodeReclaimMs: number;
  /** Label header for packets and streams ("" = none). */
  label: string;
  /** AES keys, primary first; empty = no encryption. */
  keys: Uint8Array[];
  gossipVerifyIncoming: boolean;
  gossipVerifyOutgoing: boolean;
}

/** memberlist and Serf protocol versions as a Consul agent advertises them (§11). */
export const CONSUL_VSN = Uint8Array.of(1, 5, 2, 2, 5, 4);

type Profile = Omit<
  MemberlistConfig,
  | 'name'
  | 'advertiseAddr'
  | 'advertisePort'
  | 'vsn'
  | 'label'
  | 'keys'
  | 'gossipVerifyIncoming'
  | 'gossipVerifyOutgoing'
>;

const COMMON = {
  awarenessMaxMultiplier: 8,
  udpBufferSize: 1400,
  enableCompression: true,
  disableTcpPings: false,
  deadNodeReclaimMs: 0,
};

export const LAN_PROFILE: Profile = {
  ...COMMON,
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 30_000,
  tcpTimeoutMs: 10_000,
};

export const WAN_PROFILE: Profile = {
  ...COMMON,
  probeIntervalMs: 5000,
  probeTimeoutMs: 3000,
  indirectChecks: 3,
  suspicionMult: 6,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  gossipIntervalMs: 500,
  gossipNodes: 4,
  gossipToTheDeadMs: 60_000,
  pushPullIntervalMs: 60_000,
  tcpTimeoutMs: 30_000,
};

export const LOCAL_PROFILE: Profile = {
  ...COMMON,
  probeIntervalMs: 1000,
  probeTimeoutMs: 200,
  indirectChecks: 1,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 2,
  gossipIntervalMs: 100,
  gossipNodes: 3,
  gossipToTheDeadMs: 15_000,
  pushPullIntervalMs: 15_000,
  tcpTimeoutMs: 1000,
};

export function memberlistConfig(
  profile: Profile,
  node: Pick<MemberlistConfig, 'name' | 'advertiseAddr' | 'advertisePort'> & Partial<MemberlistConfig>,
): MemberlistConfig {
  return {
    vsn: CONSUL_VSN,
    label: '',
    keys: [],
    gossipVerifyIncoming: true,
    gossipVerifyOutgoing: true,
    ...profile,
    ...node,
  };
}

/** Retransmit limit for a cluster of n nodes: mult × ⌈log10(n + 1)⌉. */
export function retransmitLimit(mult: number, n: number): number {
  return mult * Math.ceil(Math.log10(n + 1));
}

/** Lifeguard's base suspicion timeout: mult × max(1, log10(max(1, n))) × interval, truncated as Go does. */
export function suspicionTimeoutMs(mult: number, n: number, intervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor((mult * Math.floor(nodeScale * 1000) * intervalMs) / 1000);
}

/** Push/pull interval grows with the cluster beyond 32 nodes (×⌈log2 n − 5⌉+1). */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= 32) return intervalMs;
  const mult = Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
  return intervalMs * mult;
}
