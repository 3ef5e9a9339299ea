// Composition root: argv → CLI → (for `agent`) config → platform → agent. The only place, besides
import { pathToFileURL } from 'node:url';
// src/platform/node/, that touches process state.
import { runCli } from './cli/cli.js';
import { allCommands } from './cli/commands/index.js';
import type { CliServices, Ui } from './cli/command.js';
import { systemClock } from './platform/node/clock.js';
import { nodeDisk } from './platform/node/disk.js';
import { nodeHost } from './platform/node/host.js';
import { nodeHttpClient } from './platform/node/http-client.js';
import { nodeProcessRunner } from './platform/node/process-runner.js';
import { systemRng } from './platform/node/rng.js';
import { systemTimers } from './platform/node/timers.js';

function stdUi(): Ui {
  return {
    output: (s) => void process.stdout.write(`${s}\n`),
    error: (s) => void process.stderr.write(`${s}\n`),
    write: (s) => void process.stdout.write(s),
  };
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export async function main(argv: string[]): Promise<number> {
  // A closed pipe on stdout (`consul members | head -1`) ends us quietly, as SIGPIPE ends a Go binary.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  const interrupt = new AbortController();
  const services: CliServices = {
    env: process.env,
    clock: systemClock,
    timers: systemTimers,
    rng: systemRng,
    disk: nodeDisk,
    host: nodeHost,
    http: nodeHttpClient,
    processes: nodeProcessRunner,
    cwd: process.cwd(),
    readStdin,
    interrupted: interrupt.signal,
    startAgent: () => Promise.reject(new Error('agent not available in this build')),
  };
  return runCli(argv, allCommands(), stdUi(), services);
}

// Run when executed directly (`node dist/src/main.js …`), as tests do; bin/consul.js imports main() instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
