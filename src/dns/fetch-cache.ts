// dns_config.use_cache for lookups read from servers (another datacenter, or our leader): as Consul's
// agent cache, the first lookup fetches, later ones are answered from the entry while a blocking query
// keeps it current in the background. cache_max_age bounds how old a served entry may be, where age is
// 0 while the background refresh is healthy and the time since it lost contact once it fails (as
// Consul's cache measures it); an older entry is fetched again before answering.

/** One fetched read: HTTP status, X-Consul-Index and body text. */
export interface FetchAnswer {
  status: number;
  index: number;
  text: string;
}

export interface FetchCacheDeps {
  /** The read (a blocking query when the URL carries ?index and ?wait). */
  fetch(url: string): Promise<FetchAnswer>;
  nowMs(): number;
  after(ms: number, fn: () => void): void;
  /** False once the agent stops: background refreshes end. */
  alive(): boolean;
}

/** An entry nobody asked for in this long stops refreshing and is dropped. */
export const CACHE_IDLE_MS = 10 * 60_000;
/** At most this many reads are cached; the least recently used goes first. */
export const MAX_CACHE_ENTRIES = 1024;
/** Wait between failed background refreshes. */
export const REFRESH_RETRY_MS = 1000;
/** How long each background blocking query waits for a change. */
export const REFRESH_WAIT = '5m';

interface Entry {
  text: string;
  index: number;
  lastUsedMs: number;
  /** When the background refresh began failing; null while it is healthy. */
  lostContactMs: number | null;
}

export class FetchCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly d: FetchCacheDeps) {}

  get size(): number {
    return this.entries.size;
  }

  async get(url: string, maxAgeMs: number): Promise<FetchAnswer> {
    const now = this.d.nowMs();
    const e = this.entries.get(url);
    if (e) {
      const age = e.lostContactMs === null ? 0 : now - e.lostContactMs;
      if (maxAgeMs <= 0 || age <= maxAgeMs) {
        e.lastUsedMs = now;
        this.entries.delete(url);
        this.entries.set(url, e);
        return { status: 200, index: e.index, text: e.text };
      }
    }
    const a = await this.d.fetch(url);
    if (a.status !== 200) return a;
    const cur = this.entries.get(url);
    if (cur) {
      // A refresh is already running for it: bring it up to date, healthy again.
      Object.assign(cur, { text: a.text, index: a.index, lastUsedMs: this.d.nowMs(), lostContactMs: null });
      return a;
    }
    if (this.entries.size >= MAX_CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const fresh: Entry = { text: a.text, index: a.index, lastUsedMs: this.d.nowMs(), lostContactMs: null };
    this.entries.set(url, fresh);
    void this.refresh(url, fresh);
    return a;
  }

  /** Keeps `e` current with blocking queries until it is idle, evicted, or the agent stops. */
  private async refresh(url: string, e: Entry): Promise<void> {
    const blocking = (i: number) => `${url}${url.includes('?') ? '&' : '?'}index=${i}&wait=${REFRESH_WAIT}`;
    while (this.d.alive() && this.entries.get(url) === e) {
      if (this.d.nowMs() - e.lastUsedMs > CACHE_IDLE_MS) {
        this.entries.delete(url);
        return;
      }
      let a: FetchAnswer;
      try {
        a = await this.d.fetch(blocking(Math.max(1, e.index)));
      } catch (err) {
        a = { status: 500, index: 0, text: String(err) };
      }
      if (this.entries.get(url) !== e) return;
      if (a.status === 200) {
        e.text = a.text;
        // An index going backwards (a restored snapshot) starts the wait over, as Consul's cache.
        e.index = a.index < e.index ? 0 : a.index;
        e.lostContactMs = null;
        continue;
      }
      e.lostContactMs ??= this.d.nowMs();
      await new Promise<void>((r) => this.d.after(REFRESH_RETRY_MS, r));
    }
  }
}
