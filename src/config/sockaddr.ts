// go-sockaddr templates as Consul takes them in bind_addr, client_addr, advertise_addr*, addresses.*,
// serf_lan/serf_wan, retry_join and recursors: "{{ GetPrivateIP }}", "{{ GetInterfaceIP \"eth0\" }}",
// "{{ GetAllInterfaces | include \"name\" \"lo\" | attr \"address\" }}". Evaluated with go-sockaddr's
// semantics (RFC 6890 private ranges, the forwarding blacklist, Go template pipelines that pass the
// previous value as the last argument) over the Host port's interface list, and failing with the
// texts go-sockaddr/text/template produce.
//
// Not modelled: routing tables. The "default" interface is the first non-loopback interface with an
// IPv4 address, which is what a single-homed host's default route points at.

import type { Host, NetInterfaceAddr } from '../runtime/host.js';
import { cidrContains, compareIP, inAnyCidr, isV4, parseCidr, parseIP, type IPBytes } from './ip.js';

/** One interface address, as go-sockaddr's IfAddr. */
interface IfAddr {
  name: string;
  address: string;
  ip: IPBytes;
  v4: boolean;
  prefixLength: number;
  loopback: boolean;
  isDefault: boolean;
}

// go-sockaddr's RFC table (the parts templates use).
const RFC: Record<string, readonly string[]> = {
  '919': ['255.255.255.255/32'],
  '1122': ['0.0.0.0/8', '127.0.0.0/8'],
  '1918': ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  '3927': ['169.254.0.0/16'],
  '4193': ['fc00::/7'],
  '4291': ['::/128', '::1/128', '::ffff:0:0/96', 'fe80::/10'],
  '5737': ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'],
  '6598': ['100.64.0.0/10'],
  '6890': [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.0.0/29',
    '192.0.2.0/24',
    '192.88.99.0/24',
    '192.168.0.0/16',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '240.0.0.0/4',
    '255.255.255.255/32',
    '::1/128',
    '::/128',
    '64:ff9b::/96',
    '::ffff:0:0/96',
    '100::/64',
    '2001::/23',
    '2001::/32',
    '2001:2::/48',
    '2001:db8::/32',
    '2001:10::/28',
    '2002::/16',
    'fc00::/7',
    'fe80::/10',
  ],
};

/** Addresses IETF marks as not forwardable (go-sockaddr's ForwardingBlacklist). */
const NOT_FORWARDABLE = [
  '0.0.0.0/8',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '240.0.0.0/4',
  '255.255.255.255/32',
  '::1/128',
  '::/128',
  '::ffff:0:0/96',
  '2001:10::/28',
  '2001:db8::/32',
  'fe80::/10',
];

/** Consul's private IPv4 blocks for advertise detection (ipaddr.GetPrivateIPv4): RFC 1918 + RFC 6598. */
const CONSUL_PRIVATE_V4 = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16'];

export function isPrivateV4(ip: string): boolean {
  return !ip.includes(':') && inAnyCidr(ip, CONSUL_PRIVATE_V4);
}

/** The addresses of interfaces that are up and not loopback, or the loopback ones if there are no others. */
function activeAddrs(host: Host): NetInterfaceAddr[] {
  const all = host.interfaces();
  const up = all.filter((a) => !a.internal);
  return up.length > 0 ? up : all.filter((a) => a.internal);
}

/** Consul's ipaddr.GetPrivateIPv4: the candidates when bind_addr is 0.0.0.0. */
export function privateIPv4s(host: Host): string[] {
  return activeAddrs(host)
    .filter((a) => a.family === 'IPv4' && isPrivateV4(a.address))
    .map((a) => a.address);
}

/** Consul's ipaddr.GetPublicIPv6: global unicast IPv6 outside fc00::/7, the candidates for [::]. */
export function publicIPv6s(host: Host): string[] {
  return activeAddrs(host)
    .filter((a) => a.family === 'IPv6' && isGlobalUnicast(a.address) && !inAnyCidr(a.address, ['fc00::/7']))
    .map((a) => a.address);
}

function isGlobalUnicast(addr: string): boolean {
  const ip = parseIP(addr);
  if (ip === null) return false;
  if (isV4(ip))
    return !inAnyCidr(addr, [
      '0.0.0.0/8',
      '127.0.0.0/8',
      '169.254.0.0/16',
      '224.0.0.0/4',
      '255.255.255.255/32',
    ]);
  return !inAnyCidr(addr, ['::/128', '::1/128', 'fe80::/10', 'ff00::/8']);
}

function isForwardable(a: IfAddr): boolean {
  return !inAnyCidr(a.address, NOT_FORWARDABLE);
}

function inRfc(rfc: string, a: IfAddr): boolean {
  const list = RFC[rfc];
  if (list === undefined) throw new CallError(`unable to find RFC ${rfc}`);
  return inAnyCidr(a.address, list);
}

function toIfAddrs(host: Host): IfAddr[] {
  const raw = host.interfaces();
  const def = raw.find((a) => !a.internal && a.family === 'IPv4')?.name;
  const out: IfAddr[] = [];
  for (const a of raw) {
    const ip = parseIP(a.address);
    if (ip === null) continue;
    out.push({
      name: a.name,
      address: a.address,
      ip,
      v4: isV4(ip),
      prefixLength: a.prefixLength,
      loopback: a.internal,
      isDefault: a.name === def,
    });
  }
  return out;
}

/** An error from a function call inside a template (reported as "error calling <fn>: …"). */
class CallError extends Error {}
/** A template that cannot be parsed or run. */
class TemplateFailure extends Error {}

// ---- sorting -------------------------------------------------------------------------------------

type Cmp = (a: IfAddr, b: IfAddr) => number;

const SORT_KEYS: Record<string, Cmp> = {
  address: (a, b) => compareIP(a.ip, b.ip),
  default: (a, b) => Number(b.isDefault) - Number(a.isDefault),
  name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  private: (a, b) => Number(inRfc('6890', b)) - Number(inRfc('6890', a)),
  // Larger networks (shorter prefixes) first, as go-sockaddr compares netmasks.
  size: (a, b) => (a.v4 === b.v4 ? a.prefixLength - b.prefixLength : 0),
  type: (a, b) => Number(!a.v4) - Number(!b.v4),
};

function sortBy(spec: string, items: IfAddr[]): IfAddr[] {
  const cmps: Cmp[] = [];
  for (const raw of spec.split(',')) {
    let key = raw.trim().toLowerCase();
    let dir = 1;
    if (key.startsWith('+')) key = key.slice(1);
    else if (key.startsWith('-')) {
      key = key.slice(1);
      dir = -1;
    }
    const cmp = SORT_KEYS[key];
    if (cmp === undefined) throw new CallError(`unsupported sort attribute: ${JSON.stringify(key)}`);
    cmps.push((a, b) => dir * cmp(a, b));
  }
  // Array.prototype.sort is stable, as Go's sort.Stable that go-sockaddr uses.
  return [...items].sort((a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  });
}

// ---- selectors -----------------------------------------------------------------------------------

function hasFlag(a: IfAddr, flag: string): boolean {
  switch (flag) {
    case 'up':
      return true;
    case 'down':
    case 'point-to-point':
      return false;
    case 'loopback':
      return a.loopback;
    case 'broadcast':
      return a.v4 && !a.loopback;
    case 'multicast':
      return !a.loopback;
    case 'forwardable':
      return isForwardable(a);
    case 'global unicast':
      return isGlobalUnicast(a.address);
    case 'link-local unicast':
      return inAnyCidr(a.address, ['169.254.0.0/16', 'fe80::/10']);
    case 'unspecified':
      return a.address === '0.0.0.0' || a.address === '::';
    case 'interface-local multicast':
    case 'link-local multicast':
      return false;
    default:
      throw new CallError(`Unknown flag: ${JSON.stringify(flag)}`);
  }
}

function matches(a: IfAddr, selector: string, param: string): boolean {
  const anyOf = (test: (p: string) => boolean) => param.split('|').some((p) => test(p.trim()));
  switch (selector.toLowerCase()) {
    case 'address':
      return regex(param).test(a.address);
    case 'name':
      return regex(param).test(a.name);
    case 'flag':
    case 'flags':
      return anyOf((f) => hasFlag(a, f.toLowerCase()));
    case 'network':
      return anyOf((n) => {
        const c = parseCidr(n.includes('/') ? n : `${n}/${n.includes(':') ? 128 : 32}`);
        if (c === null) throw new CallError(`unable to create an SockAddr from ${JSON.stringify(n)}`);
        return cidrContains(c, a.ip);
      });
    case 'rfc':
    case 'rfcs':
      return anyOf((r) => inRfc(r, a));
    case 'size':
      return anyOf((s) => {
        if (!/^\d+$/.test(s)) throw new CallError(`invalid mask size: ${JSON.stringify(s)}`);
        return Number(s) === a.prefixLength;
      });
    case 'type':
      return anyOf((t) => {
        const v = t.toLowerCase();
        if (v === 'ip') return true;
        if (v === 'ipv4') return a.v4;
        if (v === 'ipv6') return !a.v4;
        if (v === 'unix') return false;
        throw new CallError(`unsupported type ${JSON.stringify(t)}`);
      });
    default:
      throw new CallError(`invalid selector ${JSON.stringify(selector)}`);
  }
}

function regex(src: string): RegExp {
  try {
    return new RegExp(src);
  } catch {
    throw new CallError(`unable to compile regexp ${JSON.stringify(src)}`);
  }
}

function attrOf(a: IfAddr, name: string): string {
  switch (name.toLowerCase()) {
    case 'address':
    case 'host':
      return a.address;
    case 'name':
      return a.name;
    case 'flags':
      return a.loopback ? 'up|loopback' : 'up|broadcast|multicast';
    case 'network':
      return networkOf(a);
    case 'mask_bits':
    case 'size':
      return String(a.prefixLength);
    case 'type':
      return a.v4 ? 'IPv4' : 'IPv6';
    case 'port':
      return '0';
    default:
      return '';
  }
}

function networkOf(a: IfAddr): string {
  if (!a.v4) return `${a.address}/${a.prefixLength}`;
  const n = a.address.split('.').map(Number);
  let bits = a.prefixLength;
  const out = n.map((o) => {
    const m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    bits -= 8;
    return o & m;
  });
  return `${out.join('.')}/${a.prefixLength}`;
}

// ---- the functions a template can call -----------------------------------------------------------

type Value = string | number | IfAddr[];

function ipsOf(items: IfAddr[]): string {
  return items.map((a) => a.address).join(' ');
}

function privateIfs(all: IfAddr[]): IfAddr[] {
  const f = all.filter((a) => isForwardable(a) && inRfc('6890', a));
  return sortBy('default,type,size', f);
}

function publicIfs(all: IfAddr[]): IfAddr[] {
  const f = all.filter((a) => isForwardable(a) && !inRfc('6890', a));
  return sortBy('default,type,size', f);
}

function asList(v: Value): IfAddr[] {
  if (Array.isArray(v)) return v;
  throw new CallError(
    `wrong type for value; expected sockaddr.IfAddrs; got ${typeof v === 'string' ? 'string' : 'int'}`,
  );
}

function asString(v: Value): string {
  if (typeof v === 'string') return v;
  throw new CallError(
    `wrong type for value; expected string; got ${Array.isArray(v) ? 'sockaddr.IfAddrs' : 'int'}`,
  );
}

function asInt(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new CallError(
    `wrong type for value; expected int; got ${Array.isArray(v) ? 'sockaddr.IfAddrs' : 'string'}`,
  );
}

/** Each function with its arity; the piped value, if any, is the last argument (Go templates). */
const FUNCS: Record<string, { arity: number; call: (args: Value[], all: IfAddr[]) => Value }> = {
  GetAllInterfaces: { arity: 0, call: (_a, all) => all },
  GetDefaultInterfaces: { arity: 0, call: (_a, all) => all.filter((a) => a.isDefault) },
  GetPrivateInterfaces: { arity: 0, call: (_a, all) => privateIfs(all) },
  GetPublicInterfaces: { arity: 0, call: (_a, all) => publicIfs(all) },
  GetPrivateIP: { arity: 0, call: (_a, all) => privateIfs(all)[0]?.address ?? '' },
  GetPublicIP: { arity: 0, call: (_a, all) => publicIfs(all)[0]?.address ?? '' },
  GetPrivateIPs: {
    arity: 0,
    call: (_a, all) => ipsOf(sortBy('type,size', all).filter((a) => inRfc('6890', a) && isForwardable(a))),
  },
  GetPublicIPs: {
    arity: 0,
    call: (_a, all) => ipsOf(sortBy('type,size', all).filter((a) => !inRfc('6890', a))),
  },
  GetInterfaceIP: {
    arity: 1,
    call: ([name], all) => {
      const re = regex(asString(name!));
      const f = sortBy(
        '+type,+size',
        all.filter((a) => re.test(a.name) && isForwardable(a)),
      );
      return f[0]?.address ?? '';
    },
  },
  GetInterfaceIPs: {
    arity: 1,
    call: ([name], all) => {
      const re = regex(asString(name!));
      return ipsOf(
        sortBy(
          '+type,+size',
          all.filter((a) => re.test(a.name)),
        ),
      );
    },
  },
  include: {
    arity: 3,
    call: ([sel, param, v]) => asList(v!).filter((a) => matches(a, asString(sel!), asString(param!))),
  },
  exclude: {
    arity: 3,
    call: ([sel, param, v]) => asList(v!).filter((a) => !matches(a, asString(sel!), asString(param!))),
  },
  sort: { arity: 2, call: ([spec, v]) => sortBy(asString(spec!), asList(v!)) },
  limit: { arity: 2, call: ([n, v]) => asList(v!).slice(0, Math.max(0, asInt(n!))) },
  offset: {
    arity: 2,
    call: ([n, v]) => {
      const list = asList(v!);
      const off = asInt(n!);
      if (Math.abs(off) > list.length)
        throw new CallError(`unable to seek past the end of the list: ${off} > ${list.length}`);
      return off >= 0 ? list.slice(off) : list.slice(list.length + off);
    },
  },
  unique: {
    arity: 2,
    call: ([sel, v]) => {
      const seen = new Set<string>();
      return asList(v!).filter((a) => {
        const k = attrOf(a, asString(sel!));
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    },
  },
  attr: {
    arity: 2,
    call: ([name, v]) => {
      const list = asList(v!);
      return list.length === 0 ? '' : attrOf(list[0]!, asString(name!));
    },
  },
  join: {
    arity: 3,
    call: ([sel, sep, v]) =>
      asList(v!)
        .map((a) => attrOf(a, asString(sel!)))
        .join(asString(sep!)),
  },
};

// ---- a small text/template: actions with pipelines of commands --------------------------------------

interface Cmd {
  /** Offset of the command's first token inside the whole input (Go reports it as the column). */
  pos: number;
  words: Array<{ kind: 'ident' | 'string' | 'number' | 'dot'; text: string; value: Value | null }>;
}

function tokenizeAction(body: string, base: number): Cmd[] {
  const cmds: Cmd[] = [];
  let cur: Cmd = { pos: -1, words: [] };
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '|') {
      if (cur.words.length === 0) throw new TemplateFailure('missing value for command');
      cmds.push(cur);
      cur = { pos: -1, words: [] };
      i++;
      continue;
    }
    if (cur.pos < 0) cur.pos = base + i;
    if (c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < body.length && body[j] !== c) {
        if (c === '"' && body[j] === '\\' && j + 1 < body.length) {
          // The escapes Go and JSON share; others (\x, \u{…} forms) are not worth modelling.
          if (!'"\\/bfnrt'.includes(body[j + 1]!)) throw new TemplateFailure('invalid syntax');
          text += JSON.parse(`"${body.slice(j, j + 2)}"`) as string;
          j += 2;
        } else text += body[j++];
      }
      if (j >= body.length) throw new TemplateFailure('unterminated quoted string');
      cur.words.push({ kind: 'string', text: body.slice(i, j + 1), value: text });
      i = j + 1;
      continue;
    }
    const m = /^[^\s|]+/.exec(body.slice(i))!;
    const w = m[0];
    if (/^-?\d+$/.test(w)) cur.words.push({ kind: 'number', text: w, value: Number(w) });
    else if (w === '.') cur.words.push({ kind: 'dot', text: w, value: null });
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(w)) {
      if (!(w in FUNCS)) throw new TemplateFailure(`function ${JSON.stringify(w)} not defined`);
      cur.words.push({ kind: 'ident', text: w, value: null });
    } else throw new TemplateFailure(`unexpected ${JSON.stringify(w)} in command`);
    i += w.length;
  }
  if (cur.words.length === 0) throw new TemplateFailure('missing value for command');
  cmds.push(cur);
  return cmds;
}

function runPipeline(cmds: Cmd[], all: IfAddr[]): Value {
  let prev: Value | undefined;
  for (const cmd of cmds) {
    const [head, ...rest] = cmd.words;
    const argOf = (w: Cmd['words'][number]): Value => (w.kind === 'dot' ? all : w.value!);
    if (head!.kind !== 'ident') {
      if (rest.length > 0 || prev !== undefined)
        throw new ExecFailure(cmd, `can't give argument to non-function ${head!.text}`);
      prev = argOf(head!);
      continue;
    }
    const fn = FUNCS[head!.text]!;
    const args = rest.map(argOf);
    if (prev !== undefined) args.push(prev);
    if (args.length !== fn.arity)
      throw new ExecFailure(
        cmd,
        `wrong number of args for ${head!.text}: want ${fn.arity} got ${args.length}`,
      );
    try {
      prev = fn.call(args, all);
    } catch (e) {
      if (e instanceof CallError) throw new ExecFailure(cmd, `error calling ${head!.text}: ${e.message}`);
      throw e;
    }
  }
  return prev!;
}

class ExecFailure extends Error {
  constructor(
    readonly cmd: Cmd,
    message: string,
  ) {
    super(message);
  }
}

function render(v: Value): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return ipsOf(v);
}

/** go-sockaddr's %+q: a Go-quoted, ASCII-only string. */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Expands every {{ … }} action in s (text outside actions is kept), as go-sockaddr's template.Parse.
 * Returns an Error carrying go-sockaddr's message when the template cannot be parsed or run.
 */
export function expandTemplate(s: string, host: Host): string | Error {
  const actions: Array<{ start: number; end: number; cmds: Cmd[] }> = [];
  try {
    let i = 0;
    for (;;) {
      const open = s.indexOf('{{', i);
      if (open < 0) break;
      const close = s.indexOf('}}', open + 2);
      if (close < 0) throw new TemplateFailure('unclosed action');
      let bodyStart = open + 2;
      let bodyEnd = close;
      // "{{- " and " -}}" trim the surrounding spaces; the markers themselves are not part of the body.
      if (/^- /.test(s.slice(bodyStart, bodyStart + 2))) bodyStart += 1;
      if (/ -$/.test(s.slice(bodyEnd - 2, bodyEnd))) bodyEnd -= 1;
      actions.push({
        start: open,
        end: close + 2,
        cmds: tokenizeAction(s.slice(bodyStart, bodyEnd), bodyStart),
      });
      i = close + 2;
    }
  } catch (e) {
    if (e instanceof TemplateFailure)
      return new Error(`unable to parse template ${goQuote(s)}: template: sockaddr.Parse:1: ${e.message}`);
    throw e;
  }
  if (actions.length === 0) return s;
  const all = toIfAddrs(host);
  let out = '';
  let last = 0;
  try {
    for (const a of actions) {
      let text = s.slice(last, a.start);
      if (s.slice(a.start, a.start + 3) === '{{-') text = text.replace(/\s+$/, '');
      out += text;
      out += render(runPipeline(a.cmds, all));
      last = a.end;
      if (s.slice(a.end - 3, a.end) === '-}}') {
        const m = /^\s*/.exec(s.slice(last))!;
        last += m[0].length;
      }
    }
  } catch (e) {
    if (e instanceof ExecFailure) {
      const context = e.cmd.words.map((w) => w.text).join(' ');
      return new Error(
        `unable to execute sockaddr input ${goQuote(s)}: template: sockaddr.Parse:1:${e.cmd.pos}: ` +
          `executing "sockaddr.Parse" at <${context}>: ${e.message}`,
      );
    }
    throw e;
  }
  return out + s.slice(last);
}
