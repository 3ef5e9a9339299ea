// The agent's ACL tokens (default, agent, agent_recovery, replication, config_file_service_registration):
// from the config, replaced through PUT /v1/agent/token/:type, and kept in <data-dir>/acl-tokens.json
// when acl.enable_token_persistence is set (Consul's file, read back at start). Enforcement is the ACL
// issue's; this only holds them.

import type { AclConfig } from '../config/runtime-config.js';
import type { Disk } from '../runtime/disk.js';

export type TokenKind =
  'default' | 'agent' | 'agent_recovery' | 'replication' | 'config_file_service_registration';

/** The /v1/agent/token/:type names, current and deprecated, to the token they set. */
const KINDS: Record<string, TokenKind> = {
  default: 'default',
  acl_token: 'default',
  agent: 'agent',
  acl_agent_token: 'agent',
  agent_recovery: 'agent_recovery',
  agent_master: 'agent_recovery',
  acl_agent_master_token: 'agent_recovery',
  replication: 'replication',
  acl_replication_token: 'replication',
  config_file_service_registration: 'config_file_service_registration',
};

export function tokenKind(name: string): TokenKind | null {
  return KINDS[name] ?? null;
}

export class TokenStore {
  private tokens: Record<TokenKind, string>;

  constructor(
    acl: AclConfig,
    private readonly disk: Disk,
    /** Where persisted tokens live; '' when they are not persisted. */
    private readonly file: string,
  ) {
    const t = acl.tokens;
    this.tokens = {
      default: t.default,
      agent: t.agent,
      agent_recovery: t.agentRecovery,
      replication: t.replication,
      config_file_service_registration: t.configFileServiceRegistration,
    };
  }

  get(kind: TokenKind): string {
    return this.tokens[kind];
  }

  /** Tokens persisted by an earlier run take precedence over the config's, as Consul loads them. */
  async load(): Promise<void> {
    if (this.file === '') return;
    const raw = await this.disk.readFile(this.file);
    if (!raw) return;
    const saved = JSON.parse(new TextDecoder().decode(raw)) as Partial<Record<TokenKind, string>>;
    for (const k of Object.keys(this.tokens) as TokenKind[]) if (saved[k]) this.tokens[k] = saved[k]!;
  }

  async set(kind: TokenKind, token: string): Promise<void> {
    this.tokens[kind] = token;
    if (this.file === '') return;
    const out: Partial<Record<TokenKind, string>> = {};
    for (const [k, v] of Object.entries(this.tokens) as Array<[TokenKind, string]>) if (v) out[k] = v;
    await this.disk.writeFileAtomic(this.file, JSON.stringify(out), 0o600);
  }
}
