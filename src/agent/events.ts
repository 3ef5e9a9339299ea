// Consul user events (consul-surface.md §7.10): fired as Serf user events named `consul:event:<name>`
// with a msgpack body; each agent applies the node/service/tag filters itself and keeps the last 256
// accepted events for /v1/event/list, whose index is derived from the newest event's ID.

import { MsgReader, MsgWriter } from '../codec/msgpack.js';
import { readStruct, writeStruct, type Field } from '../codec/struct.js';

export const EVENT_PREFIX = 'consul:event:';
export const EVENT_BUFFER = 256;

export interface UserEvent {
  ID: string;
  Name: string;
  Payload: Uint8Array | null;
  NodeFilter: string;
  ServiceFilter: string;
  TagFilter: string;
  Version: number;
  LTime: number;
}

const SCHEMA: readonly Field[] = [
  { name: 'ID', kind: 'str' },
  { name: 'LTime', kind: 'uint' },
  { name: 'Name', kind: 'str' },
  { name: 'NodeFilter', kind: 'str' },
  { name: 'Payload', kind: 'bytes' },
  { name: 'ServiceFilter', kind: 'str' },
  { name: 'TagFilter', kind: 'str' },
  { name: 'Version', kind: 'int' },
];

export function encodeUserEvent(e: UserEvent): Uint8Array {
  const w = new MsgWriter('v05');
  writeStruct(w, SCHEMA, { ...e });
  return w.bytes();
}

export function decodeUserEvent(b: Uint8Array): UserEvent | null {
  try {
    const f = readStruct(new MsgReader(b).read(), SCHEMA);
    return {
      ID: String(f.ID),
      Name: String(f.Name),
      Payload: (f.Payload as Uint8Array | null) ?? null,
      NodeFilter: String(f.NodeFilter),
      ServiceFilter: String(f.ServiceFilter),
      TagFilter: String(f.TagFilter),
      Version: Number(f.Version),
      LTime: Number(f.LTime),
    };
  } catch {
    return null;
  }
}

/** Go regexp semantics are close enough to JS for these filters; a bad pattern matches nothing. */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}

/** Whether this agent should accept the event (Consul's shouldProcessUserEvent). */
export function accepts(
  e: UserEvent,
  node: string,
  services: ReadonlyArray<{ name: string; tags: readonly string[] }>,
): boolean {
  if (e.NodeFilter !== '' && !matches(e.NodeFilter, node)) return false;
  if (e.ServiceFilter !== '') {
    const hit = services.some(
      (s) =>
        matches(e.ServiceFilter, s.name) &&
        (e.TagFilter === '' || s.tags.some((t) => matches(e.TagFilter, t))),
    );
    if (!hit) return false;
  }
  return true;
}

/** The ring of accepted events with a watch for blocking /v1/event/list. */
export class EventBuffer {
  private readonly ring: UserEvent[] = [];
  private waiters: Array<() => void> = [];

  add(e: UserEvent): boolean {
    if (this.ring.some((x) => x.ID === e.ID)) return false;
    this.ring.push(e);
    if (this.ring.length > EVENT_BUFFER) this.ring.shift();
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
    return true;
  }

  list(name: string): UserEvent[] {
    return name === '' ? [...this.ring] : this.ring.filter((e) => e.Name === name);
  }

  /** Consul's index: the newest event's UUID folded to 64 bits (upper half XOR lower half). */
  static index(events: readonly UserEvent[]): bigint {
    const last = events.at(-1);
    if (!last) return 0n;
    const hex = last.ID.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) return 0n;
    return BigInt(`0x${hex.slice(0, 16)}`) ^ BigInt(`0x${hex.slice(16)}`);
  }

  /** Resolves on the next accepted event. */
  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
}
