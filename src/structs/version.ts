// The version this build reports. We speak Consul 1.16's surface, so clients that check versions
// (CLI output, /v1/agent/self, Serf tags) see a 1.16 agent.

export const VERSION = '1.16.4';
export const VERSION_PRERELEASE = '';
export const REVISION = 'proconsul';
export const BUILD_DATE = '2026-11-24T00:00:00Z';

/** Serf/Consul protocol versions: what we speak by default and the range we understand. */
export const PROTOCOL_VERSION = 2;
export const PROTOCOL_VERSION_MIN = 2;
export const PROTOCOL_VERSION_MAX = 3;
export const RAFT_PROTOCOL_VERSION = 3;

export function humanVersion(): string {
  return `v${VERSION}${VERSION_PRERELEASE ? `-${VERSION_PRERELEASE}` : ''}`;
}
