// dns_config.use_cache for `<name>.query.consul`: Consul's prepared-query cache type neither blocks nor
// refreshes in the background, so the first lookup executes the query and later ones are answered from
// that result until it is older than cache_max_age (0: no bound while it keeps being asked for). Only
// results are kept; a failure or an unknown query is asked again next time.
import { CACHE_IDLE_MS, MAX_CACHE_ENTRIES } from './fetch-cache.js';

interface Entry<T> {
  value: T;
  fetchedMs: number;
  lastUsedMs: number;
}

export class QueryResultCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly nowMs: () => number) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, maxAgeMs: number, load: () => Promise<T | null>): Promise<T | null> {
    const now = this.nowMs();
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      const idle = now - e.lastUsedMs > CACHE_IDLE_MS;
      if (!idle && (maxAgeMs <= 0 || now - e.fetchedMs <= maxAgeMs)) {
        e.lastUsedMs = now;
        this.entries.set(key, e);
        return e.value;
      }
    }
    const value = await load();
    if (value === null) return null;
    if (this.entries.size >= MAX_CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const at = this.nowMs();
    this.entries.set(key, { value, fetchedMs: at, lastUsedMs: at });
    return value;
  }
}
