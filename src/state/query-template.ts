// Prepared query templates (Template.Type "name_prefix_match"): every string in the Service part may
// interpolate ${name.full}, ${name.prefix}, ${name.suffix} and ${match(N)} (the Regexp's Nth group of
// the full name, "" when absent). Compiling checks the type, the regexp and a trial render with the
// query's own name, so a bad template is refused when written rather than when looked up.

import type { PreparedQuery, ServiceQuery } from './prepared-queries.js';

export const NAME_PREFIX_MATCH = 'name_prefix_match';

export function isTemplate(q: PreparedQuery): boolean {
  return q.Template.Type !== '';
}

interface Vars {
  full: string;
  prefix: string;
  suffix: string;
  matches: string[];
}

/** Evaluates one ${…} expression; an Error for what the template language would refuse. */
function evalExpr(expr: string, v: Vars): string | Error {
  const e = expr.trim();
  if (e === 'name.full') return v.full;
  if (e === 'name.prefix') return v.prefix;
  if (e === 'name.suffix') return v.suffix;
  const m = /^match\(\s*(-?\d+)\s*\)$/.exec(e);
  if (m) return v.matches[Number(m[1])] ?? '';
  if (/^[A-Za-z_][\w.-]*$/.test(e)) return new Error(`unknown variable accessed: ${e}`);
  return new Error(`invalid expression ${JSON.stringify(e)}`);
}

/** A string the template language cannot parse (Consul says "Bad format" for these). */
class FormatError extends Error {}

/** Interpolates one string; `$${` is a literal `${`. */
function interpolate(s: string, v: Vars): string | Error {
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('$${', i)) {
      out += '${';
      i += 3;
    } else if (s.startsWith('${', i)) {
      const end = s.indexOf('}', i + 2);
      if (end < 0) return new FormatError('expected expression end, got EOF');
      const r = evalExpr(s.slice(i + 2, end), v);
      if (r instanceof Error) return r;
      out += r;
      i = end + 1;
    } else out += s[i++];
  }
  return out;
}

/** Applies `f` to every string of the Service part (with its path, as errors name it); first Error wins. */
function mapStrings(svc: ServiceQuery, f: (s: string, path: string) => string | Error): ServiceQuery | Error {
  let err: Error | null = null;
  const one = (s: string, path: string): string => {
    if (err) return s;
    const r = f(s, path);
    if (r instanceof Error) {
      err = r;
      return s;
    }
    return r;
  };
  const list = (xs: string[] | null, path: string) => xs && xs.map((x, i) => one(x, `${path}[${i}]`));
  const map = (m: Record<string, string> | null, path: string) =>
    m && Object.fromEntries(Object.entries(m).map(([k, x]) => [k, one(x, `${path}[${k}]`)]));
  const out: ServiceQuery = {
    ...svc,
    Service: one(svc.Service, '.Service'),
    Failover: {
      ...svc.Failover,
      Datacenters: list(svc.Failover.Datacenters, '.Failover.Datacenters'),
    },
    IgnoreCheckIDs: list(svc.IgnoreCheckIDs, '.IgnoreCheckIDs'),
    Near: one(svc.Near, '.Near'),
    Tags: list(svc.Tags, '.Tags'),
    NodeMeta: map(svc.NodeMeta, '.NodeMeta'),
    ServiceMeta: map(svc.ServiceMeta, '.ServiceMeta'),
  };
  return err ?? out;
}

function compileRegexp(q: PreparedQuery): RegExp | null | Error {
  if (q.Template.Regexp === '') return null;
  try {
    return new RegExp(q.Template.Regexp);
  } catch (e) {
    return new Error(`Bad Regexp: ${(e as Error).message}`);
  }
}

/** The query a template becomes for `name` (the looked-up name); an Error with Consul's wording. */
export function renderTemplate(q: PreparedQuery, name: string): PreparedQuery | Error {
  const re = compileRegexp(q);
  if (re instanceof Error) return re;
  const found = re?.exec(name);
  const vars: Vars = {
    full: name,
    prefix: q.Name,
    // Consul trims the prefix as written, so a differently-cased lookup keeps its whole name.
    suffix: name.startsWith(q.Name) ? name.slice(q.Name.length) : name,
    matches: found ? found.map((x) => x ?? '') : [],
  };
  const svc = mapStrings(q.Service, (s, path) => {
    const r = interpolate(s, vars);
    if (r instanceof FormatError) return new Error(`Bad format '${s}' in Service${path}: ${r.message}`);
    return r instanceof Error ? new Error(`Bad evaluation for '${s}' in Service${path}: ${r.message}`) : r;
  });
  if (svc instanceof Error) return svc;
  if (q.Template.RemoveEmptyTags && svc.Tags) svc.Tags = svc.Tags.filter((t) => t !== '');
  return { ...q, Service: svc };
}

/** Checks a template as it is written: its type, its regexp, and a render with its own name. */
export function compileTemplate(q: PreparedQuery): Error | null {
  if (q.Template.Type !== NAME_PREFIX_MATCH) return new Error(`Bad Template.Type '${q.Template.Type}'`);
  const r = renderTemplate(q, q.Name);
  return r instanceof Error ? r : null;
}
