// One DNS message in, one out: decode with dns-packet, plan the answer from the catalog, and for UDP
// keep within 512 bytes without EDNS (or the client's advertised size), cutting answers to
// udp_answer_limit first as Consul does; TC is set only with enable_truncate.

import dnsPacket from 'dns-packet';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { Catalog } from '../state/catalog.js';
import { plan, queryPlan, type CatalogFetch, type Plan, type PlanContext } from './planner.js';
import { compressMessage } from './compress.js';
import type { ExecuteResult } from '../state/query-execute.js';

export interface DnsContext {
  config(): RuntimeConfig;
  catalog(): Catalog | null;
  nowSeconds(): number;
  shuffle<T>(xs: T[]): T[];
  /** Remembers encoded answers while the catalog, the config and the second stay the same. */
  cache?: AnswerCache;
  /** Uniform integer in [0, n) (which cached ordering to send). */
  pick?(n: number): number;
  /**
   * Runs a prepared query (`<name>.query[.<dc>].<domain>`) in a datacenter, `sourceIp` being the
   * requester (for near "_ip"); null when none matches.
   */
  executeQuery?(
    name: string,
    datacenter: string,
    sourceIp: string,
  ): Promise<ExecuteResult | null> | ExecuteResult | null;
  /**
   * Whether the catalog here may answer for our datacenter now (dns_config.allow_stale and max_stale
   * against this server's last contact with the leader, or we lead). Default: it may.
   */
  readLocal?(): boolean;
  /**
   * Reads a lookup's rows from a datacenter's servers (another datacenter, or our leader): a catalog
   * holding them, null when that datacenter cannot be reached ("No path to datacenter"); rejects on
   * other failures. `qtype` chooses the address a WAN translation takes.
   */
  fetchCatalog?(f: CatalogFetch, qtype: string): Promise<Catalog | null>;
  /** Asks one recursor; rejects on timeout or error. */
  exchange(
    recursor: string,
    query: Uint8Array,
    transport: 'udp' | 'tcp',
    timeoutMs: number,
  ): Promise<Uint8Array>;
}

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const utf8 = new TextEncoder();

/** Whether a decoded name encodes back within DNS's limits (63 bytes a label, 255 a name). */
function encodable(name: string): boolean {
  if (name === '' || name === '.') return true;
  let total = 1;
  for (const label of name.replace(/\.$/, '').split('.')) {
    const n = utf8.encode(label).length;
    if (n === 0 || n > 63) return false;
    total += n + 1;
  }
  return total <= 255;
}

/** Orderings kept per question: answers still come back shuffled, from this many permutations. */
const VARIANTS = 4;
const MAX_CACHED = 4096;

/**
 * Encoded answers by question (the query's bytes after its ID, and the transport), valid for one
 * catalog index, config and second (the SOA serial is the time). The ID is patched in per query.
 */
export class AnswerCache {
  private readonly entries = new Map<string, { stamp: string; variants: Uint8Array[] }>();

  lookup(key: string, stamp: string, pick: (n: number) => number): Uint8Array | null {
    const e = this.entries.get(key);
    if (!e || e.stamp !== stamp || e.variants.length < VARIANTS) return null;
    return e.variants[pick(VARIANTS)]!;
  }

  store(key: string, stamp: string, answer: Uint8Array): void {
    let e = this.entries.get(key);
    if (!e || e.stamp !== stamp) {
      if (this.entries.size >= MAX_CACHED) this.entries.clear();
      e = { stamp, variants: [] };
      this.entries.set(key, e);
    }
    if (e.variants.length < VARIANTS) e.variants.push(answer);
  }
}

const catalogIds = new WeakMap<object, number>();
let nextCatalogId = 1;
const configIds = new WeakMap<object, number>();

/** The last stamp made, reused while its inputs are the same objects and values (most queries). */
let lastStamp: { cat: object | null; index: number; cfg: object; sec: number; stamp: string } | null = null;

function stampOf(ctx: DnsContext): string {
  const cat = ctx.catalog();
  const cfg = ctx.config();
  const index = cat?.index ?? 0;
  const sec = ctx.nowSeconds();
  const l = lastStamp;
  if (l && l.cat === cat && l.index === index && l.cfg === cfg && l.sec === sec) return l.stamp;
  const stamp = freshStamp(cat, cfg, index, sec);
  lastStamp = { cat, index, cfg, sec, stamp };
  return stamp;
}

function freshStamp(cat: Catalog | null, cfg: RuntimeConfig, index: number, sec: number): string {
  let c = cat ? catalogIds.get(cat) : 0;
  if (cat && c === undefined) catalogIds.set(cat, (c = nextCatalogId++));
  let k = configIds.get(cfg);
  if (k === undefined) configIds.set(cfg, (k = nextCatalogId++));
  return `${c}:${index}:${k}:${sec}`;
}

/** Returns the response bytes, or null to drop the query (unparseable header). */
export function answerQuery(
  query: Uint8Array,
  transport: 'udp' | 'tcp',
  ctx: DnsContext,
  from = '',
): Uint8Array | null | Promise<Uint8Array> {
  const cache = ctx.cache;
  // Prepared query answers are never cached (they come back as promises), so `from` cannot leak.
  if (!cache || query.length < 12) return answerFresh(query, transport, ctx, from);
  const key =
    transport + Buffer.from(query.buffer, query.byteOffset + 2, query.length - 2).toString('latin1');
  const stamp = stampOf(ctx);
  const hit = cache.lookup(key, stamp, ctx.pick ?? (() => 0));
  if (hit) {
    // A pooled Buffer rather than a fresh ArrayBuffer per answer: this runs for nearly every query.
    const pooled = Buffer.allocUnsafe(hit.length);
    const out = new Uint8Array(pooled.buffer, pooled.byteOffset, hit.length);
    out.set(hit);
    out[0] = query[0]!;
    out[1] = query[1]!;
    return out;
  }
  const fresh = answerFresh(query, transport, ctx, from);
  if (fresh instanceof Uint8Array) cache.store(key, stamp, fresh);
  return fresh;
}

function answerFresh(
  query: Uint8Array,
  transport: 'udp' | 'tcp',
  ctx: DnsContext,
  from: string,
): Uint8Array | null | Promise<Uint8Array> {
  const rejected = screenHeader(query);
  if (rejected !== undefined) return rejected;
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(Buffer.from(query));
  } catch {
    if (query.length < 12) return null;
    // Malformed but with a header: FORMERR, echoing the ID.
    const id = (query[0]! << 8) | query[1]!;
    return new Uint8Array(dnsPacket.encode({ id, type: 'response', flags: RCODES.FORMERR, questions: [] }));
  }
  const question = q.questions?.[0];
  // A name whose labels do not survive a round trip through text (bytes that are not UTF-8 grow when
  // re-encoded, past 63 per label) cannot be echoed back: FORMERR without the question.
  if (question && !encodable(question.name)) {
    const id = q.id ?? 0;
    return new Uint8Array(dnsPacket.encode({ id, type: 'response', flags: RCODES.FORMERR, questions: [] }));
  }
  const base = { id: q.id ?? 0, type: 'response' as const, questions: q.questions ?? [] };
  if (!question || q.type !== 'query') {
    return new Uint8Array(dnsPacket.encode({ ...base, flags: RCODES.FORMERR }));
  }
  if (question.type === 'AXFR') return new Uint8Array(dnsPacket.encode({ ...base, flags: RCODES.NOTIMP }));
  const cfg = ctx.config();
  const planCtx: PlanContext = {
    config: cfg,
    catalog: ctx.catalog(),
    nowSeconds: ctx.nowSeconds(),
    shuffle: (xs) => ctx.shuffle(xs),
    local: ctx.readLocal ? ctx.readLocal() : true,
  };
  const p = plan(question.name, question.type, planCtx);
  const f = p.fetch;
  const fetch = ctx.fetchCatalog;
  if (f && fetch) {
    return (async () => {
      let answer: Plan;
      try {
        const got = await fetch(f, question.type);
        answer =
          got === null
            ? p
            : plan(question.name, question.type, {
                ...planCtx,
                catalog: got,
                datacenter: f.datacenter,
                local: true,
              });
      } catch {
        answer = { rcode: 'SERVFAIL', answers: [], authorities: [], additionals: [], authoritative: false };
      }
      return respond(query, transport, ctx, q, base, answer);
    })();
  }
  const ex = p.execute;
  if (ex) {
    // A prepared query runs on a server (or through one, from a client): answered when it returns.
    const run = ctx.executeQuery;
    if (!run) return respond(query, transport, ctx, q, base, queryPlan(null, ex, question.type, planCtx));
    return (async () => {
      let answer: Plan;
      try {
        answer = queryPlan(
          await run(ex.name, ex.datacenter, clientSubnet(q) ?? from),
          ex,
          question.type,
          planCtx,
        );
      } catch {
        // Not "no such query" but a failure (a template asked for by ID, no server reachable).
        answer = { rcode: 'SERVFAIL', answers: [], authorities: [], additionals: [], authoritative: false };
      }
      return respond(query, transport, ctx, q, base, answer);
    })();
  }
  return respond(query, transport, ctx, q, base, p);
}

/**
 * What miekg/dns's default accept function does before Consul sees a message: responses are dropped
 * (never answer an answer), opcodes other than QUERY and NOTIFY get NOTIMP (UPDATE's sections may hold
 * anything), and a message without exactly one question, or with more records than a query carries
 * (answer > 1, authority > 1, additional > 2), gets FORMERR. Either reply is the request's header with
 * QR set and no sections; FORMERR carries opcode QUERY, NOTIMP the request's. undefined: go on.
 */
function screenHeader(query: Uint8Array): Uint8Array | null | undefined {
  if (query.length < 12) return null;
  if (query[2]! & 0x80) return null;
  const opcode = (query[2]! >> 3) & 0x0f;
  const count = (i: number) => (query[i]! << 8) | query[i + 1]!;
  let rcode: number;
  if (opcode !== 0 && opcode !== 4) rcode = RCODES.NOTIMP;
  else if (count(4) !== 1 || count(6) > 1 || count(8) > 1 || count(10) > 2) rcode = RCODES.FORMERR;
  else return undefined;
  const out = new Uint8Array(12);
  out[0] = query[0]!;
  out[1] = query[1]!;
  // QR, the opcode (QUERY for FORMERR), RD and TC kept as sent; AA, Z cleared.
  const op = rcode === RCODES.NOTIMP ? opcode : 0;
  out[2] = 0x80 | (op << 3) | (query[2]! & 0x03);
  out[3] = (query[3]! & 0x30) | rcode;
  return out;
}

/** The EDNS Client Subnet address, which Consul prefers over the peer's for near "_ip". */
function clientSubnet(q: dnsPacket.Packet): string | null {
  for (const a of q.additionals ?? []) {
    if (a.type !== 'OPT') continue;
    for (const o of (a as { options?: Array<{ code: number; ip?: string }> }).options ?? [])
      if (o.code === 8 && o.ip) return o.ip;
  }
  return null;
}

function respond(
  query: Uint8Array,
  transport: 'udp' | 'tcp',
  ctx: DnsContext,
  q: dnsPacket.Packet,
  base: { id: number; type: 'response'; questions: dnsPacket.Question[] },
  p: Plan,
): Uint8Array | Promise<Uint8Array> {
  const cfg = ctx.config();
  const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  // As miekg's SetReply: RD is echoed; RA says recursors are configured.
  const rd = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  if (p.recurse && cfg.recursors.length > 0) return recurse(query, transport, ctx, base, opt, rd);
  // The opcode goes back as it came (a NOTIFY is answered like a query, as Consul does).
  const ra = rd | ((q.flags ?? 0) & 0x7800) | (cfg.recursors.length > 0 ? dnsPacket.RECURSION_AVAILABLE : 0);
  // miekg's Compress, on unless disable_compression.
  const compress = !cfg.dnsConfig.disableCompression;
  const t = trim(
    p,
    transport,
    cfg,
    opt,
    base.questions[0]?.type ?? '',
    (answers, authorities, additionals, c) =>
      encode(base, p, answers, authorities, additionals, false, opt, ra, c),
  );
  const tc = t.trimmed && cfg.dnsConfig.enableTruncate;
  // The last size measured was of these very sections: send those bytes (with TC set if due).
  if (t.measured && t.measuredCompressed === compress) {
    if (tc) t.measured[2]! |= 0x02;
    return t.measured;
  }
  return encode(base, p, t.answers, t.authorities, t.additionals, tc, opt, ra, compress);
}

/** Consul's limits on a UDP datagram (65535 less IP and UDP headers) and a TCP message. */
const MAX_UDP_SIZE = 65467;
const MAX_TCP_SIZE = 65523;
/** UDP without EDNS: the most answers kept (udp_answer_limit can only lower it). */
const MAX_UDP_ANSWER_LIMIT = 8;
/** TCP: answers kept before measuring (more cannot fit 64 KiB even compressed). */
const MAX_TCP_ANSWERS = 4096;
const MAX_TCP_SRV_ANSWERS = 1024;

type Sections = {
  answers: Plan['answers'];
  authorities: Plan['authorities'];
  additionals: Plan['additionals'];
};

/**
 * Consul's trimUDPResponse / trimTCPResponse: without EDNS a UDP reply first keeps at most
 * min(8, udp_answer_limit) answers (then measured uncompressed, the conservative size); then while
 * more than one answer is left and the message is too big (UDP: the advertised size less 8 for the
 * UDP header; TCP: 65523, after keeping 4096 answers, 1024 SRV), the authority section goes, then
 * answers (by binary search when more than 100 bytes over), the additional section rebuilt each time
 * for the SRV targets left. Sizes are measured as sent: compressed unless disable_compression.
 */
function trim(
  p: Plan,
  transport: 'udp' | 'tcp',
  cfg: RuntimeConfig,
  opt: { udpPayloadSize?: number } | undefined,
  qtype: string,
  encodeWith: (
    answers: Plan['answers'],
    authorities: Plan['authorities'],
    additionals: Plan['additionals'],
    compress: boolean,
  ) => Uint8Array,
): Sections & { trimmed: boolean; measured: Uint8Array | null; measuredCompressed: boolean } {
  let answers = p.answers;
  let authorities = p.authorities;
  let additionals = p.additionals;
  const hasExtra = additionals.length > 0;
  const index = hasExtra ? indexByName(additionals) : new Map<string, Plan['additionals'][number]>();
  const sync = () => {
    if (hasExtra) additionals = syncExtra(answers, index);
  };
  let compress = !cfg.dnsConfig.disableCompression;
  const numAnswers = answers.length;
  let maxSize: number;
  let limit: number;
  if (transport === 'udp') {
    maxSize = 512;
    const advertised = opt?.udpPayloadSize ?? 0;
    if (opt && advertised > maxSize) maxSize = Math.min(advertised, MAX_UDP_SIZE);
    const maxAnswers = Math.min(
      MAX_UDP_ANSWER_LIMIT,
      cfg.dnsConfig.udpAnswerLimit > 0 ? cfg.dnsConfig.udpAnswerLimit : MAX_UDP_ANSWER_LIMIT,
    );
    if (maxSize === 512 && numAnswers > maxAnswers) {
      compress = false;
      answers = answers.slice(0, maxAnswers);
      sync();
    }
    limit = maxSize - 8;
  } else {
    maxSize = MAX_TCP_SIZE;
    const cut = qtype === 'SRV' ? MAX_TCP_SRV_ANSWERS : MAX_TCP_ANSWERS;
    if (answers.length > cut) answers = answers.slice(0, cut);
    limit = maxSize;
  }
  let measured: Uint8Array | null = null;
  let measuredOf: unknown[] = [];
  const len = () => {
    measured = encodeWith(answers, authorities, additionals, compress);
    measuredOf = [answers, authorities, additionals];
    return measured.length;
  };
  let shrunk = false;
  while (answers.length > 1 && len() > limit) {
    shrunk = true;
    if (authorities.length > 0) authorities = [];
    if (len() - maxSize > 100) {
      // dnsBinaryTruncate: the longest prefix within maxSize (close enough at 10 bytes under).
      const all = answers;
      let lo = 0;
      let hi = all.length + 1;
      let best = -1;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        answers = all.slice(0, mid);
        sync();
        const n = len();
        if (n <= maxSize) {
          if (maxSize - n < 10) {
            best = mid;
            break;
          }
          lo = mid;
        } else hi = mid;
      }
      answers = all.slice(0, best >= 0 ? best : lo);
    } else answers = answers.slice(0, -1);
    sync();
  }
  // A UDP reply counts as trimmed when it lost answers; a TCP one only when it was too big.
  const trimmed = transport === 'udp' ? answers.length < numAnswers : shrunk;
  const same = measuredOf[0] === answers && measuredOf[1] === authorities && measuredOf[2] === additionals;
  return {
    answers,
    authorities,
    additionals,
    trimmed,
    measured: same ? measured : null,
    measuredCompressed: compress,
  };
}

/** The additional records by lower-cased owner, the first of each (Consul's indexRRs). */
function indexByName(rrs: Plan['additionals']): Map<string, Plan['additionals'][number]> {
  const index = new Map<string, Plan['additionals'][number]>();
  for (const r of rrs) {
    const k = r.name.toLowerCase();
    if (!index.has(k)) index.set(k, r);
  }
  return index;
}

/**
 * Consul's syncExtra: the additional section rebuilt for the SRV answers left, each target's indexed
 * record (following a CNAME to its target's); answers without SRV leave it empty.
 */
function syncExtra(
  answers: Plan['answers'],
  index: Map<string, Plan['additionals'][number]>,
): Plan['additionals'] {
  const extra: Plan['additionals'] = [];
  const resolved = new Set<string>();
  for (const a of answers) {
    if (a.type !== 'SRV') continue;
    let target = (a.data as { target: string }).target.toLowerCase();
    while (!resolved.has(target)) {
      resolved.add(target);
      const rr = index.get(target) ?? index.get(target.replace(/\.$/, ''));
      if (!rr) break;
      extra.push(rr);
      if (rr.type !== 'CNAME') break;
      target = String(rr.data).toLowerCase();
    }
  }
  return extra;
}

function encode(
  base: { id: number; type: 'response'; questions: dnsPacket.Question[] },
  p: ReturnType<typeof plan>,
  answers: ReturnType<typeof plan>['answers'],
  authorities: ReturnType<typeof plan>['authorities'],
  additionals: ReturnType<typeof plan>['additionals'],
  tc: boolean,
  opt: { udpPayloadSize?: number } | undefined,
  extraFlags: number,
  compress: boolean,
): Uint8Array {
  let flags = RCODES[p.rcode] | extraFlags;
  if (p.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if (tc) flags |= dnsPacket.TRUNCATED_RESPONSE;
  const extra: dnsPacket.Answer[] = [...(additionals as dnsPacket.Answer[])];
  if (opt)
    extra.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: opt.udpPayloadSize ?? 512,
      flags: 0,
      options: [],
    } as unknown as dnsPacket.Answer);
  const out = new Uint8Array(
    dnsPacket.encode({
      ...base,
      flags,
      answers: answers as dnsPacket.Answer[],
      authorities: authorities as dnsPacket.Answer[],
      additionals: extra,
    }),
  );
  return compress ? compressMessage(out) : out;
}

/**
 * Consul's handleRecurse: each recursor in turn (shuffled with recursor_strategy "random") with
 * recursor_timeout; the first NOERROR/NXDOMAIN (or truncated) answer is returned as is; else SERVFAIL
 * with RA set.
 */
async function recurse(
  query: Uint8Array,
  transport: 'udp' | 'tcp',
  ctx: DnsContext,
  base: { id: number; type: 'response'; questions: dnsPacket.Question[] },
  opt: { udpPayloadSize?: number } | undefined,
  rd: number,
): Promise<Uint8Array> {
  const cfg = ctx.config();
  const order = cfg.dnsConfig.recursorStrategy === 'random' ? ctx.shuffle(cfg.recursors) : cfg.recursors;
  for (const r of order) {
    try {
      const answer = await ctx.exchange(r, query, transport, cfg.dnsConfig.recursorTimeoutNs / 1e6);
      const rcode = answer.length >= 4 ? answer[3]! & 0x0f : -1;
      const truncated = answer.length >= 3 && (answer[2]! & 0x02) !== 0;
      if (rcode === RCODES.NOERROR || rcode === RCODES.NXDOMAIN || truncated) return answer;
    } catch {
      // next recursor
    }
  }
  const extra: dnsPacket.Answer[] = opt
    ? [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: opt.udpPayloadSize ?? 512,
          flags: 0,
          options: [],
        } as unknown as dnsPacket.Answer,
      ]
    : [];
  return new Uint8Array(
    dnsPacket.encode({
      ...base,
      flags: RCODES.SERVFAIL | dnsPacket.RECURSION_AVAILABLE | rd,
      answers: [],
      additionals: extra,
    }),
  );
}
