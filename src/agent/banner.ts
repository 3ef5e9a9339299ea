// The startup banner of Consul 1.16 (consul-surface.md §6.4): labels right-aligned to the width of
// "ACL Default Policy" inside a 4-space indent.

import type { RuntimeConfig } from '../config/runtime-config.js';
import { BUILD_DATE, VERSION } from '../structs/version.js';

function goDate(iso: string): string {
  // Go's time.Time String() form for a UTC build date: 2006-01-02 15:04:05 +0000 UTC
  return `${iso.replace('T', ' ').replace(/\.\d+/, '').replace('Z', '')} +0000 UTC`;
}

export function bannerLines(c: RuntimeConfig, nodeId: string): string[] {
  const tls = c.tlsHttps;
  const rpc = c.tlsInternalRpc;
  const rows: Array<[string, string]> = [
    ['Version', `'${VERSION}'`],
    ['Build Date', `'${goDate(BUILD_DATE)}'`],
    ['Node ID', `'${nodeId}'`],
    ['Node name', `'${c.nodeName}'`],
    ['Datacenter', `'${c.datacenter}' (Segment: '${c.serverMode ? '<all>' : ''}')`],
    ['Server', `${c.serverMode} (Bootstrap: ${c.bootstrap})`],
    [
      'Client Addr',
      `[${c.clientAddrs.join(' ')}] (HTTP: ${c.ports.http}, HTTPS: ${c.ports.https}, gRPC: ${c.ports.grpc}, gRPC-TLS: ${c.ports.grpcTls}, DNS: ${c.ports.dns})`,
    ],
    ['Cluster Addr', `${c.advertiseAddrLan} (LAN: ${c.ports.serfLan}, WAN: ${c.ports.serfWan})`],
    ['Gossip Encryption', `${c.encryptKey !== ''}`],
    ['Auto-Encrypt-TLS', 'false'],
    ['ACL Enabled', `${c.acl.enabled}`],
  ];
  if (c.serverMode) rows.push(['Reporting Enabled', 'false']);
  rows.push(
    ['ACL Default Policy', c.acl.defaultPolicy],
    [
      'HTTPS TLS',
      `Verify Incoming: ${tls.verifyIncoming}, Verify Outgoing: ${tls.verifyOutgoing}, Min Version: ${tls.tlsMinVersion}`,
    ],
    ['gRPC TLS', `Verify Incoming: ${c.tlsGrpc.verifyIncoming}, Min Version: ${c.tlsGrpc.tlsMinVersion}`],
    [
      'Internal RPC TLS',
      `Verify Incoming: ${rpc.verifyIncoming}, Verify Outgoing: ${rpc.verifyOutgoing} (Verify Hostname: ${rpc.verifyServerHostname}), Min Version: ${rpc.tlsMinVersion}`,
    ],
  );
  const width = 'ACL Default Policy'.length;
  return rows.map(([k, v]) => `    ${k.padStart(width)}: ${v}`);
}
