// go-sockaddr templates as Consul takes them in bind_addr, client_addr, advertise_addr, addresses.*,
// retry_join and recursors: "{{ GetPrivateIP }}", "{{ GetInterfaceIP \"eth0\" }}",
// "{{ GetAllInterfaces | include \"name\" \"lo\" | attr \"address\" }}". The facts come from the Host port.

import type { Host, NetInterfaceAddr } from '../runtime/host.js';

function v4ToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const a = v4ToInt(ip);
  const b = v4ToInt(base);
  if (a === null || b === null) return false;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (a & mask) === (b & mask);
}

/** RFC 1918 and RFC 6598 ranges: what go-sockaddr/Consul call private IPv4. */
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];

export function isPrivateV4(ip: string): boolean {
  return PRIVATE_V4.some((c) => inCidr(ip, c));
}

function isPublicV6(ip: string): boolean {
  const l = ip.toLowerCase();
  return !(l === '::1' || l.startsWith('fe80:') || l.startsWith('fc') || l.startsWith('fd') || l === '::');
}

/** Consul's GetPrivateIPv4: every private, non-loopback IPv4 address of the host. */
export function privateIPv4s(host: Host): string[] {
  return host
    .interfaces()
    .filter((a) => a.family === 'IPv4' && !a.internal && isPrivateV4(a.address))
    .map((a) => a.address);
}

/** Consul's GetPublicIPv6: global-unicast IPv6 addresses. */
export function publicIPv6s(host: Host): string[] {
  return host
    .interfaces()
    .filter((a) => a.family === 'IPv6' && !a.internal && isPublicV6(a.address))
    .map((a) => a.address);
}

export class TemplateError extends Error {}

type Item = NetInterfaceAddr;

function attr(it: Item, name: string): string {
  switch (name.toLowerCase()) {
    case 'address':
    case 'ip':
      return it.address;
    case 'name':
      return it.name;
    case 'network':
      return `${it.address}/${it.prefixLength}`;
    case 'type':
      return it.family === 'IPv4' ? 'IPv4' : 'IPv6';
    default:
      throw new TemplateError(`unsupported attribute name "${name}"`);
  }
}

function matches(it: Item, selector: string, value: string): boolean {
  switch (selector.toLowerCase()) {
    case 'name':
      return new RegExp(value).test(it.name);
    case 'address':
      return new RegExp(value).test(it.address);
    case 'type':
      return value.toLowerCase() === (it.family === 'IPv4' ? 'ipv4' : 'ipv6') || value.toLowerCase() === 'ip';
    case 'flag':
    case 'flags':
      if (value === 'loopback') return it.internal;
      if (value === 'up' || value === 'broadcast' || value === 'multicast') return true;
      if (value === 'forwardable') return !it.internal;
      throw new TemplateError(`unsupported flag "${value}"`);
    case 'rfc':
      if (value === '1918') return isPrivateV4(it.address) && !inCidr(it.address, '100.64.0.0/10');
      if (value === '6598') return inCidr(it.address, '100.64.0.0/10');
      if (value === '6890') return isPrivateV4(it.address) || it.internal;
      throw new TemplateError(`unsupported RFC "${value}"`);
    case 'network':
      return inCidr(it.address, value);
    default:
      throw new TemplateError(`unsupported selector "${selector}"`);
  }
}

function args(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m;
  while ((m = re.exec(s))) out.push(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : m[2]!);
  return out;
}

function evalPipeline(expr: string, host: Host): string {
  const stages = expr.split('|').map((s) => s.trim());
  let items: Item[] | null = null;
  let text: string | null = null;
  const all = () => host.interfaces();
  for (const [i, stage] of stages.entries()) {
    const [fn, ...a] = args(stage);
    if (fn === undefined) throw new TemplateError('empty template expression');
    if (i === 0) {
      switch (fn) {
        case 'GetAllInterfaces':
          items = all();
          break;
        case 'GetDefaultInterfaces':
        case 'GetPrivateInterfaces':
          items = all().filter((x) => x.family === 'IPv4' && !x.internal && isPrivateV4(x.address));
          break;
        case 'GetPublicInterfaces':
          items = all().filter(
            (x) => !x.internal && (x.family === 'IPv4' ? !isPrivateV4(x.address) : isPublicV6(x.address)),
          );
          break;
        case 'GetPrivateIP':
          text = privateIPv4s(host)[0] ?? '';
          break;
        case 'GetPrivateIPs':
          text = privateIPv4s(host).join(' ');
          break;
        case 'GetPublicIP':
          text =
            all().find((x) => x.family === 'IPv4' && !x.internal && !isPrivateV4(x.address))?.address ?? '';
          break;
        case 'GetPublicIPs':
          text = all()
            .filter((x) => x.family === 'IPv4' && !x.internal && !isPrivateV4(x.address))
            .map((x) => x.address)
            .join(' ');
          break;
        case 'GetInterfaceIP':
        case 'GetInterfaceIPs': {
          const name = a[0];
          if (name === undefined) throw new TemplateError(`${fn} requires an interface name`);
          const found = all().filter((x) => x.name === name);
          if (found.length === 0) throw new TemplateError(`unable to find interface "${name}"`);
          const v4 = found.filter((x) => x.family === 'IPv4');
          text =
            fn === 'GetInterfaceIP' ? (v4[0] ?? found[0]!).address : found.map((x) => x.address).join(' ');
          break;
        }
        default:
          throw new TemplateError(`function "${fn}" not defined`);
      }
      continue;
    }
    if (items === null) throw new TemplateError(`cannot pipe a string into ${fn}`);
    switch (fn) {
      case 'include':
        items = items.filter((x) => matches(x, a[0] ?? '', a[1] ?? ''));
        break;
      case 'exclude':
        items = items.filter((x) => !matches(x, a[0] ?? '', a[1] ?? ''));
        break;
      case 'sort':
        break; // interfaces already come in the host's order
      case 'unique':
        items = items.filter(
          (x, k, arr) =>
            arr.findIndex((y) => attr(y, a[0] ?? 'address') === attr(x, a[0] ?? 'address')) === k,
        );
        break;
      case 'limit':
        items = items.slice(0, Number(a[0]));
        break;
      case 'offset':
        items = items.slice(Number(a[0]));
        break;
      case 'attr':
        text = items[0] ? attr(items[0], a[0] ?? 'address') : '';
        items = null;
        break;
      case 'join':
        text = items.map((x) => attr(x, a[0] ?? 'address')).join(a[1] ?? ' ');
        items = null;
        break;
      default:
        throw new TemplateError(`function "${fn}" not defined`);
    }
  }
  if (text !== null) return text;
  return (items ?? []).map((x) => x.address).join(' ');
}

/** Expands every {{ … }} in s; text outside the braces is kept. Returns an Error on a bad template. */
export function expandTemplate(s: string, host: Host): string | Error {
  try {
    return s.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => evalPipeline(expr, host));
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
}
