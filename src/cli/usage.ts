// Help text as Consul's commands print it: the command's usage text, then "HTTP API Options" and
// "Command Options" sections with each flag as "  -name=<placeholder>" and its usage wrapped at 72
// columns (minimum raggedness, like kr/text's Wrap) with a 5-space indent.

import type { FlagDef, FlagSet } from '../lib/flags.js';

const MAX_LINE = 72;
const PAD = 5;

export function usage(text: string, flags?: FlagSet): string {
  let out = `${text.trim()}\n\n`;
  if (flags) {
    const byName = (a: FlagDef, b: FlagDef) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const http = flags
      .all()
      .filter((f) => f.group === 'http')
      .sort(byName);
    const other = flags
      .all()
      .filter((f) => f.group !== 'http')
      .sort(byName);
    if (http.length > 0) out += 'HTTP API Options\n\n' + http.map(printFlag).join('');
    if (other.length > 0) out += 'Command Options\n\n' + other.map(printFlag).join('');
  }
  return out.replace(/\n+$/, '');
}

function printFlag(f: FlagDef): string {
  const { name, text } = unquoteUsage(f);
  const head = name ? `  -${f.name}=<${name}>\n` : `  -${f.name}\n`;
  const body = wrap(text, MAX_LINE - PAD)
    .split('\n')
    .map((l) => ' '.repeat(PAD) + l)
    .join('\n');
  return `${head}${body}\n\n`;
}

/** Go's flag.UnquoteUsage: a `back-quoted` word names the value; otherwise the type does. */
export function unquoteUsage(f: FlagDef): { name: string; text: string } {
  const m = /`([^`]*)`/.exec(f.usage);
  if (m) return { name: m[1]!, text: f.usage.replace(/`/g, '') };
  if (f.placeholder !== undefined) return { name: f.placeholder, text: f.usage };
  const byKind: Record<FlagDef['kind'], string> = {
    bool: '',
    duration: 'duration',
    int: 'int',
    uint: 'uint',
    string: 'string',
    value: 'value',
  };
  return { name: byKind[f.kind], text: f.usage };
}

/** Wraps words into lines of at most `lim` runes with minimal raggedness (squared slack). */
export function wrap(s: string, lim: number): string {
  const words = s.trim().replace(/\n/g, ' ').split(' ');
  const n = words.length;
  const lens = words.map((w) => [...w].length);
  const PENALTY = 100000;
  const cost = new Array<number>(n).fill(Number.MAX_SAFE_INTEGER);
  const next = new Array<number>(n).fill(n);
  const lineLen = (i: number, j: number) => {
    let l = 0;
    for (let k = i; k <= j; k++) l += lens[k]! + (k > i ? 1 : 0);
    return l;
  };
  for (let i = n - 1; i >= 0; i--) {
    if (lineLen(i, n - 1) <= lim) {
      cost[i] = 0;
      next[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const len = lineLen(i, j - 1);
      const d = lim - len;
      let c = d * d + cost[j]!;
      if (len > lim) c += PENALTY;
      if (c < cost[i]!) {
        cost[i] = c;
        next[i] = j;
      }
    }
  }
  const lines: string[] = [];
  for (let i = 0; i < n; i = next[i]!) lines.push(words.slice(i, next[i]).join(' '));
  return lines.join('\n');
}
