// What every CLI command is and what it gets to work with. Commands reach an agent only through api/.

import type { Clock } from '../runtime/clock.js';
import type { Disk } from '../runtime/disk.js';
import type { Host } from '../runtime/host.js';
import type { HttpClient } from '../runtime/http.js';
import type { ProcessRunner } from '../runtime/process.js';
import type { Rng } from '../runtime/rng.js';
import type { Timers } from '../runtime/timers.js';

/** Output as mitchellh/cli's Ui: each call writes one message followed by a newline. */
export interface Ui {
  output(s: string): void;
  error(s: string): void;
  /** Raw write to stdout without a newline (streams, JSON). */
  write(s: string): void;
  /** Raw write to stderr without a newline (a child's error stream). */
  writeErr(s: string): void;
}

/** A running agent, as the `agent` command sees it. Resolves with the agent's exit code. */
export interface AgentHandle {
  readonly done: Promise<number>;
}

export interface CliServices {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly rng: Rng;
  readonly disk: Disk;
  readonly host: Host;
  readonly http: HttpClient;
  readonly processes: ProcessRunner;
  /** Working directory, for resolving relative paths. */
  readonly cwd: string;
  /** Reads all of stdin. */
  readStdin(): Promise<Uint8Array>;
  /** Aborted when the process receives SIGINT or SIGTERM (commands that run until interrupted). */
  readonly interrupted: AbortSignal;
  /**
   * Starts an agent from a loaded configuration; supplied by main.ts (the composition root),
   * because the agent lives in layers below the CLI's reach. `loaded` is the config layer's result.
   */
  startAgent(loaded: unknown): Promise<AgentHandle>;
}

export interface CommandContext {
  readonly args: readonly string[];
  readonly ui: Ui;
  readonly services: CliServices;
}

export interface Command {
  /** One line for the command list. */
  readonly synopsis: string;
  /** Full help text (Usage line, description, options). */
  help(): string;
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number>;
  /** Hidden commands run but are not listed (e.g. `configtest`). */
  readonly hidden?: boolean;
}
