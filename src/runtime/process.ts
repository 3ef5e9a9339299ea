// ProcessRunner port: child processes (script checks, watch handlers, `consul lock` children).

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Variables added to the inherited environment (ignored when `env` is given). */
  extraEnv?: Record<string, string>;
  cwd?: string;
  /** Bytes written to the child's stdin, then stdin is closed. */
  stdin?: Uint8Array | string;
  /**
   * The child leads a process group of its own and kill() signals the whole group, so a check's
   * `sh -c "sleep 100"` dies with its grandchildren (Consul's KillCommandSubtree).
   */
  group?: boolean;
}

export interface ChildProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code (or 128+signal number when killed by a signal). */
  readonly exited: Promise<number>;
  onStdout(fn: (chunk: Uint8Array) => void): void;
  onStderr(fn: (chunk: Uint8Array) => void): void;
  kill(signal?: 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP'): void;
}

export interface ProcessRunner {
  spawn(file: string, args: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** True when a process with this pid is alive on this host. */
  isAlive(pid: number): boolean;
}
