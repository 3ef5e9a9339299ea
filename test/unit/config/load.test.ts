import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig, loadRawConfig, type LoadResult } from '../../../src/config/load.js';
import type { RuntimeConfig } from '../../../src/config/runtime-config.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

// The compiled test may sit in dist/ or in a per-person .build/<name>/: look upwards for the fixtures.
function fixturesDir(): URL {
  for (let u = new URL('./', import.meta.url); u.pathname !== '/'; u = new URL('../', u)) {
    const f = new URL('test/fixtures/', u);
    if (existsSync(new URL('seed/', f))) return f;
  }
  throw new Error('test/fixtures not found');
}
const FIX = fixturesDir();
const fixture = (p: string) => readFileSync(new URL(p, FIX), 'utf8');

async function load(
  args: string[],
  files: Record<string, string> = {},
  host = fakeHost(),
): Promise<LoadResult> {
  const { flags, values } = newAgentFlags();
  const r = flags.parse(args);
  assert.ok(r.ok, JSON.stringify(r));
  return loadConfig({ flags: values, disk: new MemDisk(files), host, cwd: '/work' });
}

async function ok(
  args: string[],
  files: Record<string, string> = {},
  host = fakeHost(),
): Promise<RuntimeConfig & { warnings: string[] }> {
  const r = await load(args, files, host);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return Object.assign(Object.create(null), r.config, { warnings: r.warnings });
}

async function fails(args: string[], files: Record<string, string> = {}, host = fakeHost()): Promise<string> {
  const r = await load(args, files, host);
  assert.equal(r.ok, false, 'expected an error');
  return r.ok ? '' : r.error;
}

const base = ['-data-dir=/data', '-bind=127.0.0.1'];

test('the seed: server.json + web.json from -config-dir, in JSON and in HCL, build the same RuntimeConfig', async () => {
  const json = await ok(['-config-dir=/etc/consul.d'], {
    '/etc/consul.d/server.json': fixture('seed/conf/server.json'),
    '/etc/consul.d/web.json': fixture('seed/conf/web.json'),
  });
  const hcl = await ok(['-config-dir=/etc/consul.d'], {
    '/etc/consul.d/server.hcl': fixture('seed/hcl/server.hcl'),
    '/etc/consul.d/web.hcl': fixture('seed/hcl/web.hcl'),
  });
  const strip = (c: RuntimeConfig) => ({ ...c, sourceFiles: [] });
  assert.deepEqual(strip(hcl), strip(json));
  assert.equal(json.nodeName, 'consul-server01');
  assert.equal(json.serverMode, true);
  assert.equal(json.bootstrap, true); // bootstrap_expect = 1 means bootstrap
  assert.equal(json.bootstrapExpect, 0);
  assert.equal(json.bindAddr, '192.168.2.210');
  assert.deepEqual(json.clientAddrs, ['192.168.2.210']);
  assert.equal(json.uiConfig.dir, '/opt/consul/web');
  assert.equal(json.enableSyslog, true);
  assert.equal(json.syslogFacility, 'local0');
  // start_join is appended to retry_join (1.15+), with Consul's deprecation warnings.
  assert.deepEqual(json.retryJoinLan, [
    '192.168.2.210',
    '192.168.2.211',
    '192.168.2.212',
    '192.168.2.210',
    '192.168.2.211',
    '192.168.2.212',
  ]);
  assert.ok(
    json.warnings.includes("The 'start_join' field is deprecated. Use the 'retry_join' field instead."),
  );
  assert.ok(
    json.warnings.includes("The 'ui_dir' field is deprecated. Use the 'ui_config.dir' field instead."),
  );
  assert.ok(json.warnings.includes('BootstrapExpect is set to 1; this is the same as Bootstrap mode.'));
  assert.deepEqual(json.services, [
    { name: 'web', tags: ['master'], port: 8080, check: { http: 'http://127.0.0.1:8080', interval: '10s' } },
  ]);
  assert.deepEqual(json.sourceFiles, ['/etc/consul.d/server.json', '/etc/consul.d/web.json']);
});

test('the seed in JSON and in HCL merge to the identical raw config', async () => {
  const raw = async (files: Record<string, string>) => {
    const { flags, values } = newAgentFlags();
    assert.ok(flags.parse(['-config-dir=/etc/consul.d']).ok);
    const r = await loadRawConfig({ flags: values, disk: new MemDisk(files), host: fakeHost(), cwd: '/' });
    assert.ok(r.ok, r.ok ? '' : r.error);
    return r;
  };
  const json = await raw({
    '/etc/consul.d/server.json': fixture('seed/conf/server.json'),
    '/etc/consul.d/web.json': fixture('seed/conf/web.json'),
  });
  const hcl = await raw({
    '/etc/consul.d/server.hcl': fixture('seed/hcl/server.hcl'),
    '/etc/consul.d/web.hcl': fixture('seed/hcl/web.hcl'),
  });
  assert.deepEqual(hcl.raw, json.raw);
  assert.deepEqual(hcl.warnings, json.warnings);
  assert.deepEqual(json.sourceFiles, ['/etc/consul.d/server.json', '/etc/consul.d/web.json']);
  assert.deepEqual(json.raw.services, [
    { name: 'web', tags: ['master'], port: 8080, check: { http: 'http://127.0.0.1:8080', interval: '10s' } },
  ]);
  assert.equal((json.raw.ui_config as { dir: string }).dir, '/opt/consul/web');
});

test('defaults match Consul 1.16', async () => {
  const c = await ok(base);
  assert.equal(c.datacenter, 'dc1');
  assert.equal(c.domain, 'consul.');
  assert.deepEqual(
    [
      c.ports.dns,
      c.ports.http,
      c.ports.https,
      c.ports.grpc,
      c.ports.serfLan,
      c.ports.serfWan,
      c.ports.server,
    ],
    [8600, 8500, -1, -1, 8301, 8302, 8300],
  );
  assert.deepEqual(c.clientAddrs, ['127.0.0.1']);
  assert.deepEqual(c.httpAddrs, [{ kind: 'tcp', ip: '127.0.0.1', port: 8500 }]);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.raftMultiplier, 5);
  assert.equal(c.raftSnapshotThreshold, 16384);
  assert.equal(c.retryIntervalLanNs, 30e9);
  assert.equal(c.reconnectTimeoutLanNs, 72 * 3600e9);
  assert.equal(c.sessionTtlMinNs, 10e9);
  assert.equal(c.checkUpdateIntervalNs, 300e9);
  assert.equal(c.dnsConfig.udpAnswerLimit, 3);
  assert.equal(c.dnsConfig.maxStaleNs, 87600 * 3600e9);
  assert.equal(c.disableHostNodeId, true);
  assert.equal(c.enableRemoteExec, false);
  assert.equal(c.syslogFacility, 'LOCAL0');
  assert.equal(c.gossipLan.probeIntervalNs, 1e9);
  assert.equal(c.gossipWan.suspicionMult, 6);
  assert.equal(c.uiConfig.contentPath, '/ui/');
  // client defaults: leave on SIGTERM, and on SIGINT
  assert.equal(c.leaveOnTerminate, true);
  assert.equal(c.skipLeaveOnInterrupt, false);
  assert.equal(c.ports.grpcTls, -1);
});

test('server-dependent defaults flip for servers', async () => {
  const s = await ok([...base, '-server']);
  assert.equal(s.leaveOnTerminate, false);
  assert.equal(s.skipLeaveOnInterrupt, true);
  assert.equal(s.ports.grpcTls, 8503);
  const o = await ok([...base, '-server', '-config-file=/c.json'], {
    '/c.json': '{"leave_on_terminate": true}',
  });
  assert.equal(o.leaveOnTerminate, true);
});

test('-dev defaults', async () => {
  const c = await ok(['-dev']);
  assert.equal(c.devMode, true);
  assert.equal(c.serverMode, true);
  assert.equal(c.bindAddr, '127.0.0.1');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.uiConfig.enabled, true);
  assert.equal(c.raftMultiplier, 1);
  assert.equal(c.ports.grpc, 8502);
  assert.equal(c.gossipLan.probeIntervalNs, 100e6);
  assert.equal(c.gossipLan.suspicionMult, 3);
  assert.equal(c.dataDir, '');
  assert.equal(
    await fails(['-dev', '-bootstrap-expect=3']),
    "'bootstrap_expect > 0' not allowed in dev mode",
  );
});

test('every agent flag the seed uses, in both spellings', async () => {
  const c = await ok([
    '-server',
    '-bootstrap-expect',
    '3',
    '-bind=127.0.0.2',
    '--client',
    '127.0.0.2',
    '-data-dir=/data',
    '-pid-file=/run/consul.pid',
    '-node=consul-server01',
    '-ui',
    '-syslog',
    '-disable-host-node-id',
    '-dc=DC1',
    '-join=127.0.0.3',
    '-retry-join=127.0.0.4',
    '-retry-interval=5s',
    '-retry-max=3',
    '-log-level=debug',
    '-node-id=ADF4238A-882B-9DDC-4A9D-5B6758E4159E',
    '-rejoin',
    '-encrypt=pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=',
    '-protocol=2',
    '-node-meta=rack:r1',
    '-node-meta=zone:z:2',
    '-recursor=8.8.8.8',
    '-dns-port=8601',
    '-http-port=8501',
  ]);
  assert.equal(c.serverMode, true);
  assert.equal(c.bootstrapExpect, 3);
  assert.equal(c.bindAddr, '127.0.0.2');
  assert.deepEqual(c.clientAddrs, ['127.0.0.2']);
  assert.equal(c.pidFile, '/run/consul.pid');
  assert.equal(c.nodeName, 'consul-server01');
  assert.equal(c.uiConfig.enabled, true);
  assert.equal(c.enableSyslog, true);
  assert.equal(c.datacenter, 'dc1'); // lower-cased at load
  assert.deepEqual(c.retryJoinLan, ['127.0.0.4', '127.0.0.3']);
  assert.equal(c.retryIntervalLanNs, 5e9);
  assert.equal(c.retryMaxLan, 3);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.nodeId, 'adf4238a-882b-9ddc-4a9d-5b6758e4159e');
  assert.equal(c.rejoinAfterLeave, true);
  assert.deepEqual(c.nodeMeta, { rack: 'r1', zone: 'z:2' });
  assert.deepEqual(c.recursors, ['8.8.8.8']);
  assert.deepEqual(c.dnsAddrs, [{ kind: 'tcp', ip: '127.0.0.2', port: 8601 }]);
  assert.equal(c.ports.http, 8501);
});

test('merge rules: lexical dir order, later scalars win, slices append, maps merge, slice flags first, scalar flags last, -hcl after all', async () => {
  const files = {
    '/d/b.json': '{"node_name": "from-b", "retry_join": ["b"], "node_meta": {"x": "b", "y": "b"}}',
    '/d/a.hcl': 'node_name = "from-a"\nretry_join = ["a"]\nnode_meta { x = "a" }\ndatacenter = "dca"',
    '/d/c.txt': 'ignored',
    '/d/sub/z.json': '{"node_name": "from-subdir"}',
    '/f.json': '{"datacenter": "dcf", "retry_join": ["f"], "ports": {"dns": 1}}',
  };
  const c = await ok(
    [...base, '-config-dir=/d', '-config-file', '/f.json', '-retry-join=flag', '-hcl', 'ports { http = 9 }'],
    files,
  );
  assert.equal(c.nodeName, 'from-b');
  assert.equal(c.datacenter, 'dcf');
  assert.deepEqual(c.retryJoinLan, ['flag', 'a', 'b', 'f']);
  assert.deepEqual(c.nodeMeta, { x: 'b', y: 'b' });
  assert.equal(c.ports.dns, 1);
  assert.equal(c.ports.http, 9);
  assert.ok(
    c.warnings.includes(
      'skipping file /d/c.txt, extension must be .hcl or .json, or config format must be set',
    ),
  );
  const scalar = await ok([...base, '-node=flag', '-config-file=/f.json'], {
    '/f.json': '{"node_name":"file"}',
  });
  assert.equal(scalar.nodeName, 'flag');
  const hclLast = await ok([...base, '-hcl=node_name = "hcl"', '-node=flag']);
  assert.equal(hclLast.nodeName, 'hcl');
});

test('several `service` blocks in several files accumulate', async () => {
  const c = await ok([...base, '-config-dir=/d'], {
    '/d/1.json': '{"service": {"name": "a"}}',
    '/d/2.hcl': 'service { name = "b" }\nservice { name = "c" }',
    '/d/3.json': '{"services": [{"name": "d"}], "check": {"name": "n", "ttl": "10s"}}',
  });
  assert.deepEqual(
    c.services.map((s) => s.name),
    ['a', 'b', 'c', 'd'],
  );
  assert.deepEqual(
    c.checks.map((s) => s.name),
    ['n'],
  );
});

test('-config-format forces the parser; a bad -config-format is refused', async () => {
  const c = await ok([...base, '-config-format=hcl', '-config-file=/x.conf'], {
    '/x.conf': 'node_name = "h"',
  });
  assert.equal(c.nodeName, 'h');
  assert.equal(
    await fails([...base, '-config-format=yaml']),
    "config: -config-format must be either 'hcl' or 'json'",
  );
  const skipped = await ok([...base, '-config-file=/x.conf'], { '/x.conf': 'node_name = "h"' });
  assert.ok(
    skipped.warnings.includes(
      'skipping file /x.conf, extension must be .hcl or .json, or config format must be set',
    ),
  );
});

test('unknown keys: Consul error naming file and dotted key, with a hint', async () => {
  assert.equal(
    await fails([...base, '-config-file=/c.json'], { '/c.json': '{"ports": {"htp": 1}, "bogus": true}' }),
    'failed to parse /c.json: 2 errors occurred:\n\t* invalid config key ports.htp (did you mean ports.http?)\n\t* invalid config key bogus\n\n',
  );
  assert.match(
    await fails([...base, '-hcl', 'servre = true']),
    /^failed to parse flags-0\.hcl: 1 error occurred:\n\t\* invalid config key servre \(did you mean server\?\)/,
  );
});

test('legacy 0.8 keys map to modern ones with warnings', async () => {
  const c = await ok([...base, '-config-file=/c.json'], {
    '/c.json': JSON.stringify({
      acl_datacenter: 'dc1',
      acl_default_policy: 'deny',
      acl_master_token: 'm',
      acl_token: 't',
      acl_agent_token: 'a',
      acl_enforce_version_8: true,
      verify_incoming: true,
      ca_file: '/ca.pem',
      raft_boltdb: { NoFreelistSync: true },
      ui: true,
    }),
  });
  assert.equal(c.acl.enabled, true);
  assert.equal(c.primaryDatacenter, 'dc1');
  assert.equal(c.acl.defaultPolicy, 'deny');
  assert.equal(c.acl.tokens.initialManagement, 'm');
  assert.equal(c.acl.tokens.default, 't');
  assert.equal(c.acl.tokens.agent, 'a');
  assert.equal(c.tlsDefaults.verifyIncoming, true);
  assert.equal(c.tlsHttps.caFile, '/ca.pem');
  assert.equal(c.uiConfig.enabled, true);
  for (const w of [
    "The 'acl_datacenter' field is deprecated. Use the 'primary_datacenter' field instead.",
    "The 'acl_master_token' field is deprecated. Use the 'acl.tokens.initial_management' field instead.",
    'config key "acl_enforce_version_8" is deprecated and should be removed',
    "The 'verify_incoming' field is deprecated. Use the 'tls.defaults.verify_incoming' field instead.",
    "The 'raft_boltdb' field is deprecated. Use the 'raft_logstore.boltdb' field instead.",
  ])
    assert.ok(c.warnings.includes(w), w);
});

test('0.8-only keys that 1.16 dropped are invalid config keys', async () => {
  for (const [body, key] of [
    ['{"recursor": "1.1.1.1"}', 'recursor'],
    ['{"statsd_addr": "127.0.0.1:8125"}', 'statsd_addr'],
    ['{"statsite_addr": "127.0.0.1:8125"}', 'statsite_addr'],
    ['{"reap": true}', 'reap'],
    ['{"ports": {"rpc": 8400}}', 'ports.rpc'],
    ['{"addresses": {"rpc": "127.0.0.1"}}', 'addresses.rpc'],
    ['{"check": {"id": "c", "script": "true", "interval": "10s"}}', 'check.script'],
    ['{"service": {"name": "s", "enableTagOverride": true}}', 'service.enableTagOverride'],
  ]) {
    const err = await fails([...base, '-config-file=/c.json'], { '/c.json': body! });
    const want = `failed to parse /c.json: 1 error occurred:\n\t* invalid config key ${key}`;
    assert.ok(err.startsWith(want), `${body}: ${err}`);
  }
});

test('malformed JSON and HCL name the file, line and column', async () => {
  assert.equal(
    await fails([...base, '-config-file=/a.json'], { '/a.json': '{\n  "server": true,\n}\n' }),
    "failed to parse /a.json: invalid character '}' looking for beginning of object key string (at line 3, column 1)",
  );
  assert.equal(
    await fails([...base, '-config-file=/a.hcl'], { '/a.hcl': 'ports {\n  http = 8500\n' }),
    'failed to parse /a.hcl: At 3:2: object expected closing RBRACE got: EOF',
  );
  assert.match(
    await fails([...base, '-config-file=/missing.json']),
    /^config: Open failed on \/missing\.json\./,
  );
});

test("invalid values give Consul's errors", async () => {
  const cases: Array<[string[], Record<string, string>, string | RegExp]> = [
    [['-bind=127.0.0.1'], {}, 'data_dir cannot be empty'],
    [[...base, '-bootstrap'], {}, "'bootstrap = true' requires 'server = true'"],
    [[...base, '-bootstrap-expect=3'], {}, "'bootstrap_expect > 0' requires 'server = true'"],
    [
      [...base, '-server', '-bootstrap', '-bootstrap-expect=3'],
      {},
      "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive",
    ],
    [
      [...base, '-server', '-bootstrap-expect=-1'],
      {},
      'bootstrap_expect cannot be -1. Must be greater than or equal to zero',
    ],
    [
      [...base, '-retry-interval=10'],
      {},
      /retry_interval: invalid duration: "10": time: missing unit in duration "10"/,
    ],
    // Consul's expandAddrs drops an address it cannot parse, so the emptiness check fires first.
    [['-data-dir=/d', '-bind=300.1.1.1'], {}, 'bind_addr cannot be empty'],
    [[...base, '-advertise=0.0.0.0'], {}, 'Advertise address cannot be 0.0.0.0, :: or [::]'],
    [
      [...base, '-datacenter=dc 1'],
      {},
      'datacenter can only contain lowercase alphanumeric, - or _ characters. received: "dc 1"',
    ],
    [[...base, '-http-port=70000'], {}, /ports\.http: invalid port: 70000/],
    [[...base, '-log-level=loud'], {}, /Invalid log level: loud/],
    [[...base, '-ui', '-ui-dir=/x'], {}, /^Both the ui_config.enabled and ui_config.dir/],
    [[...base, '-raft-protocol=2'], {}, 'raft_protocol version 2 is not supported by this version of Consul'],
    [[...base, '-node-id=nope'], {}, 'Failed to setup node ID: uuid string is wrong length'],
    [[...base, '-encrypt=!!!'], {}, /^encrypt has invalid key: illegal base64 data/],
    [
      ['-data-dir=/d'],
      {},
      "Multiple private IPv4 addresses found. Please configure one with 'bind' and/or 'advertise'.",
    ],
    [
      [...base, '-config-file=/c.json'],
      { '/c.json': '{"server": "maybe"}' },
      /'server' expected type 'bool', got unconvertible type 'string', value: 'maybe'/,
    ],
    [
      [...base, '-syslog', '-config-file=/c.json'],
      { '/c.json': '{"syslog_facility": "LOCAL9"}' },
      /Invalid syslog facility LOCAL9/,
    ],
  ];
  const twoPrivate = fakeHost([
    ['lo', '127.0.0.1'],
    ['eth0', '10.0.0.5'],
    ['eth1', '192.168.1.5'],
  ]);
  for (const [args, files, want] of cases) {
    const err = await fails(args, files, twoPrivate);
    if (typeof want === 'string') assert.equal(err, want, args.join(' '));
    else assert.match(err, want, args.join(' '));
  }
  assert.equal(
    await fails(['-data-dir=/d'], {}, fakeHost([['lo', '127.0.0.1']])),
    'No private IPv4 address found',
  );
  assert.equal(
    await fails(['-data-dir=/d', '-bind=127.0.0.1'], { '/d': 'x' }),
    'data_dir "/d" is not a directory',
  );
});

test('bind 0.0.0.0 advertises the single private IPv4; go-sockaddr templates resolve', async () => {
  const c = await ok(['-data-dir=/d']);
  assert.equal(c.bindAddr, '0.0.0.0');
  assert.equal(c.advertiseAddrLan, '10.0.0.5');
  const t = await ok([
    '-data-dir=/d',
    '-bind={{ GetPrivateIP }}',
    '-client',
    '{{ GetInterfaceIP "eth0" }} 127.0.0.1',
  ]);
  assert.equal(t.bindAddr, '10.0.0.5');
  assert.deepEqual(t.clientAddrs, ['10.0.0.5', '127.0.0.1']);
  // go-sockaddr's GetInterfaceIP keeps only forwardable addresses (loopback is not; Consul issue
  // #5371) and an unknown interface is an empty result, not an error.
  const lo = await fails(['-data-dir=/d', '-bind={{ GetInterfaceIP "lo" }}']);
  assert.equal(lo, 'bind_addr cannot be empty');
  const bad = await fails(['-data-dir=/d', '-bind={{ GetInterfaceIP "eth9" }}']);
  assert.equal(bad, 'bind_addr cannot be empty');
});
