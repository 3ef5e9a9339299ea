// `consul lock [options] prefix child...`: runs the child while holding a lock (or, with -n > 1, one of
// N semaphore slots) in the KV store, as Consul's lock command and its API helpers lay it out:
//   lock:      <prefix>/.lock held by a session (flags 0x2ddccbc058a50c18)
//   semaphore: a contender key <prefix>/<session> per holder plus <prefix>/.lock whose value is
//              {"Limit":N,"Holders":{"<session>":true,…}} updated with check-and-set (flags 0xe0f69a2baa414de0)
// The session has a 15 s TTL, renewed every half of it; losing the lock (session invalidated, key
// taken) sends the child SIGTERM, then SIGKILL after 5 s. The child sees CONSUL_LOCK_HELD=true.

import { ApiError, kvValue, type ApiClient, type KVPair } from '../../api/client.js';
import { FlagSet } from '../../lib/flags.js';
import type { Command, CommandContext } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

export const LOCK_FLAG_VALUE = 0x2ddccbc058a50c18n;
export const SEMAPHORE_FLAG_VALUE = 0xe0f69a2baa414de0n;
const SESSION_TTL = '15s';
const WAIT = '15s';
const RETRY_MS = 5000;
const KILL_GRACE_MS = 5000;

const HELP = `
Usage: consul lock [options] prefix child...

  Acquires a lock or semaphore at a given path, and invokes a child process
  when successful. The child process can assume the lock is held while it
  executes. If the lock is lost or communication is disrupted the child
  process will be sent a SIGTERM signal and given time to gracefully exit.
  After the grace period expires the process will be hard terminated.

  For Consul agents on Windows, the child process is always hard terminated
  with a SIGKILL, since Windows has no POSIX compatible notion for SIGTERM.

  When -n=1, only a single lock holder or leader exists providing mutual
  exclusion. Setting a higher value switches to a semaphore allowing multiple
  holders to coordinate.

  The prefix provided must have write privileges.
`;

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: false });
  return {
    f,
    http,
    childExitCode: f.bool(
      'child-exit-code',
      false,
      "Exit 2 if the child process exited with an error if this is true, otherwise this doesn't propagate an error from the child. The default value is false.",
    ),
    limit: f.int(
      'n',
      1,
      'Optional limit on the number of concurrent lock holders. The underlying implementation switches from a lock to a semaphore when the value is greater than 1. The default value is 1.',
    ),
    monitorRetry: f.int(
      'monitor-retry',
      3,
      'Number of times to retry if Consul returns a 500 error while monitoring the lock. This allows riding out brief periods of unavailability without causing leader elections, but increases the amount of time required to detect a lost lock in some cases. The default value is 3, with a 1s wait between retries. Set this value to 0 to disable retires.',
    ),
    name: f.string(
      'name',
      '',
      'Optional name to associate with the lock session. It not provided, one is generated based on the provided child command.',
    ),
    passStdin: f.bool('pass-stdin', false, 'Pass stdin to the child process.'),
    shell: f.bool(
      'shell',
      true,
      'Use a shell to run the command (can set a custom shell via the SHELL environment variable).',
    ),
    timeout: f.duration(
      'timeout',
      0,
      'Maximum amount of time to wait to acquire the lock, specified as a duration like "1s" or "3h". The default value is 0.',
    ),
    verbose: f.bool('verbose', false, 'Enable verbose (debugging) output.'),
  };
}

const dec = new TextDecoder();

/** GET a key (null when absent) with the index it was read at (Flags exact: the lock flags exceed 2^53). */
async function getKey(
  client: ApiClient,
  key: string,
  opts: { index?: string; wait?: string } = {},
  signal?: AbortSignal,
): Promise<{ pair: KVPair | null; index: string }> {
  const { pair, meta } = await client.kv.get(key, { ...opts, signal });
  return { pair, index: meta.lastIndex };
}

const semaphoreOf = (p: KVPair): SemaphoreLock => JSON.parse(dec.decode(kvValue(p)) || '{}') as SemaphoreLock;

class LockError extends Error {}

interface Holding {
  /** Resolves when the lock is lost (never when released by us). */
  lost: Promise<void>;
  release(): Promise<void>;
}

export const lockCommand: Command = {
  synopsis: 'Execute a command holding a lock',
  help: () => usage(HELP, flags().f),
  async run(ctx) {
    const o = flags();
    const rest = parseFlags(o.f, ctx.args, ctx.ui);
    if (rest === null) return 1;
    if (rest.length < 2) {
      ctx.ui.error('Key prefix and child command must be specified');
      return 1;
    }
    if (o.limit.value <= 0) {
      ctx.ui.error('Lock holder limit must be positive');
      return 1;
    }
    const prefix = rest[0]!.replace(/^\/+/, '');
    const child = rest.slice(1);
    const script = child.join(' ');
    const name = o.name.value || `Consul lock for '${script}' at '${prefix}'`;
    const client = o.http.client(ctx.services);
    const say = (s: string) => o.verbose.value && ctx.ui.output(s);
    const stop = new AbortController();
    ctx.services.interrupted.addEventListener('abort', () => stop.abort());
    let timer: { cancel(): void } | null = null;
    if (o.timeout.value > 0) timer = ctx.services.timers.after(o.timeout.value / 1e6, () => stop.abort());

    let session: string;
    try {
      session = await client.session.create({
        Name: name,
        TTL: SESSION_TTL,
        Behavior: 'release',
        LockDelay: '15s',
      });
    } catch (e) {
      ctx.ui.error(`Lock acquisition failed: failed to create session: ${(e as Error).message}`);
      return 1;
    }
    // Keep the session alive while we wait and while the child runs.
    const renew = ctx.services.timers.every(7500, () => {
      void client.session.renew(session).catch(() => {});
    });
    const destroySession = () => client.session.destroy(session).catch(() => {});

    let holding: Holding;
    try {
      say('Attempting lock acquisition');
      holding =
        o.limit.value === 1
          ? await acquireLock(client, prefix, session, stop.signal, ctx, o.monitorRetry.value)
          : await acquireSemaphore(
              client,
              prefix,
              session,
              o.limit.value,
              stop.signal,
              ctx,
              o.monitorRetry.value,
            );
    } catch (e) {
      renew.cancel();
      timer?.cancel();
      await destroySession();
      if (stop.signal.aborted) ctx.ui.error('Shutdown triggered or timeout during lock acquisition');
      else ctx.ui.error(`Lock acquisition failed: ${(e as Error).message}`);
      return 1;
    }
    timer?.cancel();

    say(`Starting handler '${script}'`);
    const shell = ctx.services.env.SHELL || '/bin/sh';
    const [file, args] = o.shell.value ? [shell, ['-c', script]] : [child[0]!, child.slice(1)];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.services.env)) if (v !== undefined) env[k] = v;
    env.CONSUL_LOCK_HELD = 'true';
    const stdin = o.passStdin.value ? await ctx.services.readStdin() : undefined;
    // Its own process group, signalled whole: dash forks the last command of `sh -c`, and a
    // SIGTERM to the shell alone would leave that command running (and holding our pipes).
    const proc = ctx.services.processes.spawn(file, args, { env, stdin, group: true });
    proc.onStdout((c) => ctx.ui.write(dec.decode(c)));
    proc.onStderr((c) => ctx.ui.writeErr(dec.decode(c)));
    let lostLock = false;
    const terminate = () => {
      proc.kill('SIGTERM');
      const kill = ctx.services.timers.after(KILL_GRACE_MS, () => proc.kill('SIGKILL'));
      void proc.exited.then(() => kill.cancel());
    };
    void holding.lost.then(() => {
      lostLock = true;
      ctx.ui.error('Lock lost, killing child');
      terminate();
    });
    ctx.services.interrupted.addEventListener('abort', terminate);
    const code = await proc.exited;
    say(`Child exited with code ${code}`);
    if (!lostLock) {
      say('Cleanup succeeded');
      await holding.release().catch(() => {});
    }
    renew.cancel();
    await destroySession();
    if (lostLock) return 1;
    if (code !== 0 && o.childExitCode.value) return 2;
    return 0;
  },
};

/** Waits for the key to change (blocking GET), retrying 500s up to `retries` times 1 s apart. */
async function watch(
  client: ApiClient,
  key: string,
  index: string,
  signal: AbortSignal,
  ctx: CommandContext,
  retries: number,
): Promise<{ pair: KVPair | null; index: string }> {
  for (let failures = 0; ; failures++) {
    try {
      return await getKey(client, key, { index, wait: WAIT }, signal);
    } catch (e) {
      if (signal.aborted || !(e instanceof ApiError) || e.status !== 500 || failures >= retries) throw e;
      await new Promise<void>((r) => ctx.services.timers.after(1000, r));
    }
  }
}

/**
 * Watches a held key until it is no longer ours; resolves then. It starts from the read made
 * after acquiring, which is checked first: the lock can be lost (its session destroyed) before
 * that read, and a watch from its index alone would then wait for a change that never comes.
 */
function monitor(
  client: ApiClient,
  key: string,
  stillOurs: (p: KVPair | null) => boolean,
  held: { pair: KVPair | null; index: string },
  ctx: CommandContext,
  retries: number,
): { lost: Promise<void>; stop: () => void } {
  const ac = new AbortController();
  const lost = (async () => {
    if (!stillOurs(held.pair)) return;
    let idx = held.index;
    for (;;) {
      try {
        const r = await watch(client, key, idx, ac.signal, ctx, retries);
        if (ac.signal.aborted) return new Promise<void>(() => {});
        if (!stillOurs(r.pair)) return;
        idx = r.index;
      } catch {
        if (ac.signal.aborted) return new Promise<void>(() => {});
        return; // monitoring failed past its retries: treat the lock as lost
      }
    }
  })();
  return { lost, stop: () => ac.abort() };
}

async function acquireLock(
  client: ApiClient,
  prefix: string,
  session: string,
  signal: AbortSignal,
  ctx: CommandContext,
  retries: number,
): Promise<Holding> {
  const key = `${prefix}/.lock`;
  for (;;) {
    if (signal.aborted) throw new LockError('aborted');
    const { pair, index } = await getKey(client, key, {}, signal);
    if (pair && pair.Flags !== LOCK_FLAG_VALUE) throw new LockError('Existing key does not match lock use');
    if (!pair || !pair.Session) {
      const ok = await client.kv.put(key, '', { acquire: session, flags: LOCK_FLAG_VALUE });
      if (ok) {
        const held = await getKey(client, key);
        const m = monitor(client, key, (p) => p?.Session === session, held, ctx, retries);
        return {
          lost: m.lost,
          release: async () => {
            m.stop();
            await client.kv.put(key, '', { release: session, flags: LOCK_FLAG_VALUE });
            // Nobody else holds it now: remove the key (a failed cas means someone took it).
            const after = await getKey(client, key);
            if (after.pair && !after.pair.Session)
              await client.kv.delete(key, { cas: after.pair.ModifyIndex });
          },
        };
      }
      // Not held yet refused: lock-delay. Try again shortly.
      await new Promise<void>((r) => ctx.services.timers.after(RETRY_MS, r));
      continue;
    }
    await watch(client, key, index, signal, ctx, retries);
  }
}

interface SemaphoreLock {
  Limit: number;
  Holders: Record<string, boolean>;
}

async function acquireSemaphore(
  client: ApiClient,
  prefix: string,
  session: string,
  limit: number,
  signal: AbortSignal,
  ctx: CommandContext,
  retries: number,
): Promise<Holding> {
  const lockKey = `${prefix}/.lock`;
  const contender = `${prefix}/${session}`;
  if (!(await client.kv.put(contender, '', { acquire: session, flags: SEMAPHORE_FLAG_VALUE })))
    throw new LockError('failed to make contender entry');
  const live = async (): Promise<Set<string>> => {
    const { pairs } = await client.kv.list(`${prefix}/`);
    return new Set(pairs.filter((p) => p.Key !== lockKey && p.Session).map((p) => p.Session));
  };
  for (;;) {
    if (signal.aborted) throw new LockError('aborted');
    const { pair, index } = await getKey(client, lockKey, {}, signal);
    let state: SemaphoreLock = { Limit: limit, Holders: {} };
    if (pair) {
      if (pair.Flags !== SEMAPHORE_FLAG_VALUE)
        throw new LockError('Existing key does not match semaphore use');
      state = semaphoreOf(pair);
      if (state.Limit !== limit)
        throw new LockError(`semaphore limit conflict (lock: ${state.Limit}, local: ${limit})`);
    }
    // Holders whose contender entry is gone (their session ended) no longer count.
    const alive = await live();
    const holders = Object.keys(state.Holders ?? {}).filter((h) => alive.has(h));
    if (holders.length < limit) {
      const next: SemaphoreLock = {
        Limit: limit,
        Holders: Object.fromEntries([...holders, session].map((h) => [h, true])),
      };
      const ok = await client.kv.put(lockKey, JSON.stringify(next), {
        cas: pair?.ModifyIndex ?? 0,
        flags: SEMAPHORE_FLAG_VALUE,
      });
      if (ok) {
        const held = await getKey(client, lockKey);
        const m = monitor(
          client,
          lockKey,
          (p) => {
            return p !== null && Boolean(semaphoreOf(p).Holders?.[session]);
          },
          held,
          ctx,
          retries,
        );
        return {
          lost: m.lost,
          release: async () => {
            m.stop();
            for (let i = 0; i < 10; i++) {
              const cur = await getKey(client, lockKey);
              if (!cur.pair) break;
              const s = semaphoreOf(cur.pair);
              delete s.Holders[session];
              // The last holder out removes the semaphore (Consul's Semaphore.Destroy).
              if (Object.keys(s.Holders).length === 0) {
                if (await client.kv.delete(lockKey, { cas: cur.pair.ModifyIndex })) break;
                continue;
              }
              if (
                await client.kv.put(lockKey, JSON.stringify(s), {
                  cas: cur.pair.ModifyIndex,
                  flags: SEMAPHORE_FLAG_VALUE,
                })
              )
                break;
            }
            await client.kv.delete(contender);
          },
        };
      }
      continue; // someone else changed it first
    }
    await watch(client, lockKey, index, signal, ctx, retries);
  }
}
