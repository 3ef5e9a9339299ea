// Composition root: argv → CLI → (for `agent`) config → platform → agent. The only place, besides
// src/platform/node/, that touches process state.
import { nodeHttp2Client } from './platform/node/http2-client.js';
import { pathToFileURL } from 'node:url';
import { Agent, type AgentSignal } from './agent/agent.js';
import { runCli } from './cli/cli.js';
import type { AgentHandle, CliServices, Ui } from './cli/command.js';
import type { AgentLaunch } from './cli/commands/agent.js';
import { allCommands } from './cli/commands/index.js';
import { createHttpHandler } from './http/api.js';
import { systemClock } from './platform/node/clock.js';
import { nodeDisk } from './platform/node/disk.js';
import { nodeHost } from './platform/node/host.js';
import { nodeHttpClient } from './platform/node/http-client.js';
import { nodeHttpServers } from './platform/node/http-server.js';
import { ConsoleSink } from './platform/node/log-console.js';
import { FileSink } from './platform/node/log-file.js';
import { nodeProcessRunner } from './platform/node/process-runner.js';
import { systemRng } from './platform/node/rng.js';
import { SyslogSink } from './platform/node/syslog.js';
import { systemTimers } from './platform/node/timers.js';
import { LogHub } from './runtime/log.js';
import { MemRaftStorage } from './raft/storage.js';
import { LmdbRaftStorage } from './platform/node/raft-lmdb.js';
import { nodeTcp } from './platform/node/tcp.js';
import { nodeUdp } from './platform/node/udp.js';
import { createDnsHandler } from './dns/handler.js';

function stdUi(): Ui {
  return {
    output: (s) => void process.stdout.write(`${s}\n`),
    error: (s) => void process.stderr.write(`${s}\n`),
    write: (s) => void process.stdout.write(s),
    writeErr: (s) => void process.stderr.write(s),
  };
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

const SIGNALS: AgentSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE'];

/** Builds the real agent: log sinks per config, the agent, signal handlers. */
async function startAgent(launch: AgentLaunch): Promise<AgentHandle> {
  const c = launch.config;
  const hub = new LogHub(systemClock, c.logLevel);
  const console = new ConsoleSink(c.logJson);
  hub.addSink(console);
  if (c.logFile !== '') {
    hub.addSink(
      new FileSink({
        path: c.logFile,
        json: c.logJson,
        rotateBytes: c.logRotateBytes,
        rotateDurationMs: c.logRotateDurationNs / 1e6,
        maxFiles: c.logRotateMaxFiles,
        clock: systemClock,
      }),
    );
  }
  if (c.enableSyslog) {
    const s = SyslogSink.open(c.syslogFacility);
    if (s instanceof Error) hub.logger('agent').warn('Syslog setup failed', 'error', s);
    else hub.addSink(s);
  }
  const agent = new Agent(c, launch.warnings, {
    clock: systemClock,
    timers: systemTimers,
    rng: systemRng,
    disk: nodeDisk,
    host: nodeHost,
    hub,
    httpServers: nodeHttpServers,
    httpHandler: createHttpHandler,
    isAlive: nodeProcessRunner.isAlive,
    // -log-json suppresses the banner, as Consul does.
    out: c.logJson ? () => {} : (line) => void process.stdout.write(`${line}\n`),
    reloadConfig: launch.reload,
    onBannerDone: () => console.open(),
    streams: nodeTcp,
    packets: nodeUdp,
    httpClient: nodeHttpClient,
    processes: nodeProcessRunner,
    ...(process.env.SHELL ? { shell: process.env.SHELL } : {}),
    http2: nodeHttp2Client,
    dnsHandler: createDnsHandler,
    raftStorage: (cfg) =>
      cfg.devMode || cfg.dataDir === '' ? new MemRaftStorage() : new LmdbRaftStorage(`${cfg.dataDir}/raft`),
  });
  const handlers = SIGNALS.map((sig) => {
    const h = () => agent.handleSignal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  const err = await agent.start();
  if (err) {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.stderr.write(`==> ${err.message}\n`);
    return { done: Promise.resolve(1) };
  }
  return {
    done: agent.done.then((code) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      return code;
    }),
  };
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
  const isAgent = argv.find((a) => !a.startsWith('-')) === 'agent';
  if (!isAgent) {
    // Commands that run until interrupted (monitor, watch, lock) stop cleanly on Ctrl-C.
    const stop = () => interrupt.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
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
    startAgent: (loaded) => startAgent(loaded as AgentLaunch),
  };
  return runCli(argv, allCommands(), stdUi(), services);
}

// Run when executed directly (`node dist/src/main.js …`), as tests do; bin/consul.js imports main() instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
