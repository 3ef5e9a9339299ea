// A flag parser with Go's `flag` package semantics, as every Consul command uses it:
//   -flag, --flag, -flag=value, -flag value (non-bool only), -flag=false for bools,
//   parsing stops at the first non-flag argument or after "--"; "-" alone is an argument;
//   -h / -help / --help ask for help. Error texts are Go's.

import { formatGoDuration, parseGoDuration } from './duration.js';

export type FlagKind = 'string' | 'bool' | 'int' | 'uint' | 'duration' | 'value';

export interface FlagDef {
  name: string;
  kind: FlagKind;
  usage: string;
  /** Called for every occurrence, in order; returns an Error with the reason when the value is bad. */
  set(raw: string): Error | void;
  /** Placeholder shown in help as -name=<placeholder>; bools show none. */
  placeholder?: string;
  /** Default shown by Go's PrintDefaults when not the zero value. */
  defValue?: string;
  /** Help section ("HTTP API Options", "Command Options", ...). */
  group?: string;
}

export class FlagError extends Error {
  override name = 'FlagError';
}

/** Thrown-free result of parsing. */
export type ParseResult =
  { ok: true; args: string[] } | { ok: false; help: true } | { ok: false; help: false; error: string };

export class FlagSet {
  private readonly defs = new Map<string, FlagDef>();
  /** Names of the flags that appeared on the command line, in order of first appearance. */
  readonly seen = new Set<string>();

  define(def: FlagDef): void {
    if (this.defs.has(def.name)) throw new FlagError(`flag redefined: ${def.name}`);
    this.defs.set(def.name, def);
  }

  /** All definitions in definition order. */
  all(): FlagDef[] {
    return [...this.defs.values()];
  }

  lookup(name: string): FlagDef | undefined {
    return this.defs.get(name);
  }

  string(name: string, def: string, usage: string, group?: string): { value: string } {
    const box = { value: def };
    this.define({ name, kind: 'string', usage, group, defValue: def, set: (v) => void (box.value = v) });
    return box;
  }

  /** A single-valued flag of a Go type: `parse` turns the text into a value or says why it cannot. */
  private typed<T>(
    name: string,
    kind: FlagKind,
    def: T,
    defValue: string,
    usage: string,
    group: string | undefined,
    parse: (raw: string) => T | Error,
  ): { value: T } {
    const box = { value: def };
    this.define({
      name,
      kind,
      usage,
      group,
      defValue,
      set: (raw) => {
        const v = parse(raw);
        if (v instanceof Error) return v;
        box.value = v;
      },
    });
    return box;
  }

  bool(name: string, def: boolean, usage: string, group?: string): { value: boolean } {
    return this.typed(
      name,
      'bool',
      def,
      String(def),
      usage,
      group,
      (v) => parseGoBool(v) ?? new Error('parse error'),
    );
  }

  int(name: string, def: number, usage: string, group?: string): { value: number } {
    return this.typed(name, 'int', def, String(def), usage, group, (v) => parseGoInt(v, true));
  }

  uint(name: string, def: number, usage: string, group?: string): { value: number } {
    return this.typed(name, 'uint', def, String(def), usage, group, (v) => parseGoInt(v, false));
  }

  /** Duration flag; the value is nanoseconds. */
  duration(name: string, defNs: number, usage: string, group?: string): { value: number } {
    return this.typed(name, 'duration', defNs, formatGoDuration(defNs), usage, group, (v) => {
      const d = parseGoDuration(v);
      return d instanceof Error ? new Error('parse error') : d;
    });
  }

  /** Repeatable string flag: every occurrence is appended. */
  strings(name: string, usage: string, group?: string): { value: string[] } {
    const box = { value: [] as string[] };
    this.define({ name, kind: 'value', usage, group, set: (v) => void box.value.push(v) });
    return box;
  }

  /** Repeatable `key=value` flag (Consul's FlagMapValue): a later value for a key replaces the earlier. */
  map(name: string, usage: string, group?: string): { value: Record<string, string> } {
    const box = { value: {} as Record<string, string> };
    this.define({
      name,
      kind: 'value',
      usage,
      group,
      set: (v) => {
        const i = v.indexOf('=');
        if (i < 0) return new Error(`Missing "=" value in argument: ${v}`);
        box.value[v.slice(0, i)] = v.slice(i + 1);
      },
    });
    return box;
  }

  /**
   * Parses args. Stops at the first non-flag argument (Go semantics: flags must precede positionals).
   * Help requests (-h, -help, --help) return { help: true } unless a flag named h/help was defined.
   */
  parse(args: readonly string[]): ParseResult {
    let i = 0;
    while (i < args.length) {
      const s = args[i]!;
      if (s.length < 2 || s[0] !== '-') break;
      let numMinuses = 1;
      if (s[1] === '-') {
        numMinuses = 2;
        if (s.length === 2) {
          i++;
          break; // "--" terminates the flags
        }
      }
      let name = s.slice(numMinuses);
      if (name.length === 0 || name[0] === '-' || name[0] === '=') {
        return { ok: false, help: false, error: `bad flag syntax: ${s}` };
      }
      i++;
      let hasValue = false;
      let value = '';
      const eq = name.indexOf('=');
      if (eq > 0) {
        value = name.slice(eq + 1);
        hasValue = true;
        name = name.slice(0, eq);
      }
      const def = this.defs.get(name);
      if (!def) {
        if (name === 'help' || name === 'h') return { ok: false, help: true };
        return { ok: false, help: false, error: `flag provided but not defined: -${name}` };
      }
      if (def.kind === 'bool') {
        const v = hasValue ? value : 'true';
        const err = def.set(v);
        if (err)
          return {
            ok: false,
            help: false,
            error: `invalid boolean value "${v}" for -${name}: ${err.message}`,
          };
      } else {
        if (!hasValue) {
          if (i < args.length) {
            value = args[i]!;
            i++;
          } else {
            return { ok: false, help: false, error: `flag needs an argument: -${name}` };
          }
        }
        const err = def.set(value);
        if (err)
          return {
            ok: false,
            help: false,
            error: `invalid value "${value}" for flag -${name}: ${err.message}`,
          };
      }
      this.seen.add(name);
    }
    return { ok: true, args: args.slice(i) };
  }
}

export function parseGoBool(v: string): boolean | null {
  switch (v) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return null;
  }
}

/** strconv.ParseInt/ParseUint(s, 0, 64) as Go's flag package calls them: base prefixes and "_" allowed. */
export function parseGoInt(v: string, signed: boolean): number | Error {
  let s = v;
  let neg = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    if (!signed) return new Error('parse error');
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10;
  const lower = s.toLowerCase();
  if (lower.startsWith('0x')) base = 16;
  else if (lower.startsWith('0b')) base = 2;
  else if (lower.startsWith('0o')) base = 8;
  else if (s.length > 1 && s.startsWith('0')) base = 8;
  const digits = base === 10 ? s : base === 8 && !lower.startsWith('0o') ? s.slice(1) : s.slice(2);
  // Go integer-literal syntax: "_" only between digits (or right after a base prefix).
  if (digits === '' || /_$|__/.test(digits) || (base === 10 && digits.startsWith('_')))
    return new Error('parse error');
  const clean = digits.replace(/_/g, '');
  const re = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-f]+$/i }[base as 2 | 8 | 10 | 16];
  if (!re.test(clean)) return new Error('parse error');
  const big = BigInt(base === 10 ? clean : `0${'xbo'[[16, 2, 8].indexOf(base)]}${clean}`) * (neg ? -1n : 1n);
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  const min = signed ? -(2n ** 63n) : 0n;
  if (big > max || big < min) return new Error('value out of range');
  return Number(big);
}

/**
 * What Go's FlagSet prints after a parse error (ContinueOnError): "Usage:" then PrintDefaults, i.e.
 * "  -name type" and the usage on the next line after "    \t", with a "(default …)" note.
 */
export function goDefaults(f: FlagSet): string {
  let out = 'Usage:\n';
  const defs = f.all().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of defs) {
    let line = `  -${d.name}`;
    const m = /`([^`]*)`/.exec(d.usage);
    const typeName = m
      ? m[1]!
      : { bool: '', duration: 'duration', int: 'int', uint: 'uint', string: 'string', value: 'value' }[
          d.kind
        ];
    const text = m ? d.usage.replace(/`/g, '') : d.usage;
    if (typeName) line += ` ${typeName}`;
    line += d.name.length === 1 && !typeName ? '\t' : '\n    \t';
    line += text.replace(/\n/g, '\n    \t');
    const zero = { bool: 'false', duration: '0s', int: '0', uint: '0', string: '', value: '' }[d.kind];
    if (d.defValue !== undefined && d.defValue !== zero) {
      line += d.kind === 'string' ? ` (default ${JSON.stringify(d.defValue)})` : ` (default ${d.defValue})`;
    }
    out += `${line}\n`;
  }
  return out;
}
