// dig (Debian's bind9-dnsutils) for tests: installed with apt-get when missing, run against our DNS
// server, and its output read back into sections of records.
import { aptInstall } from './apt.js';
import { spawnSync } from 'node:child_process';

let available: string | null | undefined;

/** Whether dig can be run: null when it can, else why not (apt-get could not install it). */
export function ensureDig(): string | null {
  if (available !== undefined) return available;
  const has = () => spawnSync('dig', ['-v'], { encoding: 'utf8' }).error === undefined;
  if (has()) return (available = null);
  const why = aptInstall(['bind9-dnsutils']);
  if (has()) return (available = null);
  return (available = `dig is missing and apt-get could not install bind9-dnsutils: ${why ?? 'no dig after install'}`);
}

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  /** The record's data as dig prints it (SOA serial replaced by "SERIAL": it is the time). */
  data: string;
}

export interface DigAnswer {
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
}

/** `dig @ip -p port <args>`, parsed (header status and flags, the three record sections). */
export function dig(ip: string, port: number, args: string[]): DigAnswer {
  const r = spawnSync(
    'dig',
    [
      `@${ip}`,
      '-p',
      String(port),
      '+noall',
      '+comments',
      '+answer',
      '+authority',
      '+additional',
      '+nocookie',
      '+time=3',
      '+tries=1',
      ...args,
    ],
    { encoding: 'utf8', timeout: 15_000 },
  );
  if (r.status !== 0) throw new Error(`dig ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  const out: DigAnswer = { status: '', flags: [], answer: [], authority: [], additional: [] };
  type Section = 'answer' | 'authority' | 'additional';
  let section: Section | null = null;
  for (const line of r.stdout.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) out.status = status[1]!;
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) out.flags = flags[1]!.trim().split(/\s+/);
    const head = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head) section = head[1]!.toLowerCase() as Section;
    if (line.startsWith(';') || line.trim() === '' || section === null) continue;
    const [name, ttl, , type, ...rest] = line.trim().split(/\s+/);
    let data = rest.join(' ');
    if (type === 'SOA') data = data.replace(/^(\S+ \S+) \d+/, '$1 SERIAL');
    out[section].push({ name: name!, ttl: Number(ttl), type: type!, data });
  }
  return out;
}
