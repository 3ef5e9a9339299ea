// Parses a command's flags and reports errors as Go's FlagSet does (message, then its defaults).
import type { Ui } from './command.js';
import { goDefaults, type FlagSet } from '../lib/flags.js';

/** The positional arguments, or null after printing the error (the caller exits 1). */
export function parseFlags(f: FlagSet, args: readonly string[], ui: Ui): string[] | null {
  const r = f.parse(args);
  if (r.ok) return r.args;
  ui.error(r.help ? goDefaults(f).trimEnd() : `${r.error}\n${goDefaults(f).trimEnd()}`);
  return null;
}
