// The autopilot configuration as Consul stores it in Raft (structs.AutopilotConfig): seeded from the
// agent's `autopilot {}` stanza by the first leader, changed afterwards only through the operator API.

export interface AutopilotConfig {
  CleanupDeadServers: boolean;
  /** Go duration strings, as the API shows them. */
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
  RedundancyZoneTag: string;
  DisableUpgradeMigration: boolean;
  UpgradeVersionTag: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export class AutopilotTable {
  config: AutopilotConfig | null = null;

  /** Sets the configuration; with `cas`, only if ModifyIndex still matches (0: only if none is stored). */
  set(idx: number, c: AutopilotConfig, cas: boolean): boolean {
    if (cas && (this.config?.ModifyIndex ?? 0) !== c.ModifyIndex) return false;
    this.config = { ...c, CreateIndex: this.config?.CreateIndex ?? idx, ModifyIndex: idx };
    return true;
  }
}
