// Debian packages a test needs (serf, haproxy, dig, prometheus): installed with apt-get when missing,
// refreshing the package lists once if the first try fails (a fresh machine may have none).
import { spawnSync } from 'node:child_process';

/** Installs `packages`; null on success, else the tail of apt-get's complaint. */
export function aptInstall(packages: readonly string[]): string | null {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) => spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 300_000 });
  let r = run(['install', '-y', '-q', ...packages]);
  if (r.status !== 0) {
    run(['update', '-q']);
    r = run(['install', '-y', '-q', ...packages]);
  }
  if (r.status === 0) return null;
  return (r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-2).join(' ');
}
