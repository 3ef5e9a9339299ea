// Debian's Prometheus scraping our agent's /v1/agent/metrics?format=prometheus, configured as Consul's
// docs say (metrics_path + params.format): the target comes up (up == 1) and Consul's metric names are
// queryable. The test installs Debian's prometheus when missing and is skipped, saying why, when it cannot.
import { aptInstall } from '../helpers/apt.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, httpGet, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const AGENT = '127.0.0.152';
const HTTP_PORT = 18870;
const PROM = '127.0.0.153:18880';
const BIN = '/usr/bin/prometheus';

/** The prometheus binary, installed with apt-get if missing; else the reason it cannot be had. */
function prometheusBinary(): { bin: string } | { skip: string } {
  if (existsSync(BIN)) return { bin: BIN };
  const why = aptInstall(['--no-install-recommends', 'prometheus']);
  if (existsSync(BIN)) return { bin: BIN };
  return { skip: `Debian's prometheus is not installed and apt-get could not install it: ${why}` };
}

const found = prometheusBinary();
const dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
let agent: Proc | null = null;
let prom: ChildProcess | null = null;
let promLog = '';

after(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGKILL');
    await exited;
  }
  if (agent) await stop(agent);
  rmSync(dir, { recursive: true, force: true });
});

interface QueryResult {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

async function query(q: string): Promise<QueryResult['data']['result']> {
  const r = await httpGet(`http://${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  if (r.status !== 200) return [];
  return (JSON.parse(r.body) as QueryResult).data.result;
}

test(
  'Prometheus scrapes /v1/agent/metrics?format=prometheus: up == 1 and consul_raft_apply is queryable',
  { skip: 'skip' in found ? found.skip : false },
  async () => {
    const bin = (found as { bin: string }).bin;
    agent = startConsul([
      'agent',
      '-dev',
      '-node=prom-target',
      `-bind=${AGENT}`,
      `-client=${AGENT}`,
      `-http-port=${HTTP_PORT}`,
      `-dns-port=${HTTP_PORT + 1}`,
      `-serf-lan-port=${HTTP_PORT + 2}`,
      `-serf-wan-port=${HTTP_PORT + 3}`,
      `-server-port=${HTTP_PORT + 4}`,
      '-hcl',
      'telemetry { prometheus_retention_time = "60s" disable_hostname = true }',
    ]);
    await agentUp(AGENT, HTTP_PORT);
    const base = `http://${AGENT}:${HTTP_PORT}`;
    await waitFor('a leader', async () => (await httpGet(`${base}/v1/status/leader`)).body.length > 4);
    const put = await fetch(`${base}/v1/kv/scraped`, { method: 'PUT', body: 'yes' });
    assert.equal((await put.text()).trim(), 'true');

    const config = path.join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: consul',
        '    metrics_path: /v1/agent/metrics',
        '    params:',
        "      format: ['prometheus']",
        '    static_configs:',
        `      - targets: ['${AGENT}:${HTTP_PORT}']`,
        '',
      ].join('\n'),
    );
    prom = spawn(
      bin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=${PROM}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stdout!.on('data', (c: Buffer) => (promLog += c.toString()));
    prom.stderr!.on('data', (c: Buffer) => (promLog += c.toString()));

    const up = await waitFor(
      'up == 1 for the consul job',
      async () => {
        assert.equal(prom!.exitCode, null, `prometheus exited: ${promLog}`);
        const r = await query('up{job="consul"}');
        return r.find((x) => x.value[1] === '1') ?? null;
      },
      15_000,
      250,
    ).catch(async (e: Error) => {
      const t = await httpGet(`http://${PROM}/api/v1/targets`).catch(() => ({ body: '' }));
      throw new Error(`${e.message}\ntargets: ${t.body}\nprometheus log: ${promLog}`);
    });
    assert.equal(up.metric.instance, `${AGENT}:${HTTP_PORT}`);

    const applied = await waitFor('consul_raft_apply in Prometheus', async () => {
      const r = await query('consul_raft_apply{job="consul"}');
      return r.length > 0 ? Number(r[0]!.value[1]) : null;
    });
    assert.ok(applied >= 1, `consul_raft_apply = ${applied}`);
    // A summary's quantile series made it through the text parser too.
    const q = await waitFor('consul_kvs_apply_count', async () => {
      const r = await query('consul_kvs_apply_count{job="consul"}');
      return r.length > 0 ? Number(r[0]!.value[1]) : null;
    });
    assert.ok(q >= 1);
  },
);
