// Host port: facts about the machine the agent runs on (names, addresses, identity, process id).

export interface NetInterfaceAddr {
  /** Interface name, e.g. "eth0", "lo". */
  name: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  /** Prefix length of the network. */
  prefixLength: number;
  internal: boolean;
}

export interface Host {
  hostname(): string;
  interfaces(): NetInterfaceAddr[];
  /** A stable identifier of this host (machine-id / DMI product UUID), or null if none can be read. */
  hostUUID(): string | null;
  pid(): number;
  /** The platform string Consul reports ("linux"). */
  os(): string;
  arch(): string;
  cpuCount(): number;
  /** Runtime version string (node version). */
  runtimeVersion(): string;
  /** Process memory/heap statistics for `consul info` runtime section. */
  memory(): { heapUsed: number; heapTotal: number; rss: number };
  /** Live handles and requests of the runtime (consul.runtime.num_goroutines), when known. */
  activeResources?(): number;
}
