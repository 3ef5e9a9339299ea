// go-sockaddr templates against fake hosts with several interface layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Host, NetInterfaceAddr } from '../../../src/runtime/host.js';
import { expandTemplate, privateIPv4s, publicIPv6s } from '../../../src/config/sockaddr.js';
import { SeededRng } from '../../../src/lib/prng.js';

/** [name, address, prefix length] — "lo" is the loopback interface. */
function host(ifaces: Array<[string, string, number]>): Host {
  const list: NetInterfaceAddr[] = ifaces.map(([name, address, prefixLength]) => ({
    name,
    address,
    family: address.includes(':') ? 'IPv6' : 'IPv4',
    prefixLength,
    internal: name.startsWith('lo'),
  }));
  return {
    hostname: () => 'h',
    interfaces: () => list,
    hostUUID: () => null,
    pid: () => 1,
    os: () => 'linux',
    arch: () => 'amd64',
    cpuCount: () => 1,
    runtimeVersion: () => 'v20',
    memory: () => ({ heapUsed: 0, heapTotal: 0, rss: 0 }),
  };
}

// A typical cloud VM: loopback, a private NIC with a link-local v6, a public NIC, a docker bridge.
const vm = host([
  ['lo', '127.0.0.1', 8],
  ['lo', '::1', 128],
  ['eth0', '10.0.0.5', 24],
  ['eth0', 'fe80::1', 64],
  ['eth1', '52.1.2.3', 20],
  ['eth1', '2600:1f1c::5', 64],
  ['docker0', '172.17.0.1', 16],
]);

function ev(t: string, h: Host = vm): string {
  const r = expandTemplate(t, h);
  if (r instanceof Error) throw r;
  return r;
}

test('source functions: private/public IPs, interfaces by name', () => {
  assert.equal(ev('{{ GetPrivateIP }}'), '10.0.0.5'); // the default interface's address comes first
  assert.equal(ev('{{ GetPrivateIPs }}'), '172.17.0.1 10.0.0.5'); // larger networks first
  assert.equal(ev('{{ GetPublicIP }}'), '52.1.2.3');
  assert.equal(ev('{{ GetPublicIPs }}'), '52.1.2.3 2600:1f1c::5');
  assert.equal(ev('{{ GetInterfaceIP "eth0" }}'), '10.0.0.5');
  assert.equal(ev('{{ GetInterfaceIP "eth1" }}'), '52.1.2.3'); // IPv4 before IPv6
  // Loopback and link-local addresses are not forwardable, so GetInterfaceIP skips them (Consul #5371)…
  assert.equal(ev('{{ GetInterfaceIP "lo" }}'), '');
  // …and an unknown interface is not an error either: the result is just empty.
  assert.equal(ev('{{ GetInterfaceIP "eth9" }}'), '');
  assert.equal(ev('{{ GetInterfaceIPs "lo" }}'), '127.0.0.1 ::1');
  assert.equal(ev('{{ GetInterfaceIP "^(eth|docker)" }}'), '172.17.0.1'); // the name is a regexp
  assert.equal(ev('{{ GetPrivateInterfaces | attr "address" }}'), '10.0.0.5');
  assert.equal(ev('{{ GetPublicInterfaces | attr "name" }}'), 'eth1');
  assert.equal(ev('{{ GetDefaultInterfaces | join "address" " " }}'), '10.0.0.5 fe80::1');
});

test('pipelines: include, exclude, sort, limit, offset, unique, attr, join', () => {
  assert.equal(ev('{{ GetAllInterfaces | include "name" "lo" | attr "address" }}'), '127.0.0.1');
  assert.equal(
    ev('{{ GetAllInterfaces | include "name" "^eth" | exclude "type" "IPv6" | join "address" " " }}'),
    '10.0.0.5 52.1.2.3',
  );
  assert.equal(
    ev('{{ GetAllInterfaces | include "rfc" "1918" | join "address" "," }}'),
    '10.0.0.5,172.17.0.1',
  );
  assert.equal(ev('{{ GetAllInterfaces | include "network" "172.16.0.0/12" | attr "name" }}'), 'docker0');
  assert.equal(
    ev('{{ GetAllInterfaces | include "flag" "loopback" | join "address" " " }}'),
    '127.0.0.1 ::1',
  );
  assert.equal(
    ev('{{ GetAllInterfaces | include "type" "ipv4" | sort "-size" | join "address" " " }}'),
    '10.0.0.5 52.1.2.3 172.17.0.1 127.0.0.1',
  );
  assert.equal(
    ev('{{ GetAllInterfaces | include "type" "IPv4" | sort "address" | limit 2 | join "address" " " }}'),
    '10.0.0.5 52.1.2.3',
  );
  assert.equal(
    ev('{{ GetAllInterfaces | include "type" "IPv4" | offset -1 | attr "address" }}'),
    '172.17.0.1',
  );
  assert.equal(ev('{{ GetAllInterfaces | unique "name" | join "name" " " }}'), 'lo eth0 eth1 docker0');
  assert.equal(ev('{{ GetAllInterfaces | include "name" "eth0" | attr "network" }}'), '10.0.0.0/24');
  assert.equal(ev('{{ GetAllInterfaces | include "name" "nothing" | attr "address" }}'), '');
});

test('text outside actions is kept; several actions make a space-separated list', () => {
  assert.equal(ev('127.0.0.1 {{ GetPrivateIP }}'), '127.0.0.1 10.0.0.5');
  assert.equal(ev('{{GetPrivateIP}} {{ GetPublicIP }}'), '10.0.0.5 52.1.2.3');
  assert.equal(ev('plain'), 'plain');
});

test("errors read as go-sockaddr's", () => {
  const err = (t: string) => {
    const r = expandTemplate(t, vm);
    assert.ok(r instanceof Error, `expected an error for ${t}`);
    return r.message;
  };
  assert.equal(
    err('{{ GetPrivateIPz }}'),
    'unable to parse template "{{ GetPrivateIPz }}": template: sockaddr.Parse:1: function "GetPrivateIPz" not defined',
  );
  assert.equal(
    err('{{ GetPrivateIP '),
    'unable to parse template "{{ GetPrivateIP ": template: sockaddr.Parse:1: unclosed action',
  );
  assert.equal(
    err('{{ GetAllInterfaces | include "colour" "x" }}'),
    'unable to execute sockaddr input "{{ GetAllInterfaces | include \\"colour\\" \\"x\\" }}": ' +
      'template: sockaddr.Parse:1:22: executing "sockaddr.Parse" at <include "colour" "x">: ' +
      'error calling include: invalid selector "colour"',
  );
  assert.match(err('{{ GetInterfaceIP }}'), /wrong number of args for GetInterfaceIP: want 1 got 0/);
  assert.match(err('{{ GetInterfaceIP "\\x65th0" }}'), /sockaddr\.Parse:1: invalid syntax$/);
  assert.match(err('{{ GetInterfaceIP "eth0 }}'), /sockaddr\.Parse:1: unterminated quoted string$/);
  assert.equal(ev('{{ GetInterfaceIP "eth\\"0" }}'), '');
});

test("Consul's advertise detection: private IPv4 (RFC 1918 + 6598) and public IPv6 candidates", () => {
  assert.deepEqual(privateIPv4s(vm), ['10.0.0.5', '172.17.0.1']);
  assert.deepEqual(publicIPv6s(vm), ['2600:1f1c::5']);
  const cgnat = host([
    ['lo', '127.0.0.1', 8],
    ['wg0', '100.64.1.2', 10],
    ['eth0', '8.8.4.4', 24],
  ]);
  assert.deepEqual(privateIPv4s(cgnat), ['100.64.1.2']);
  const loOnly = host([
    ['lo', '127.0.0.1', 8],
    ['lo', '::1', 128],
  ]);
  assert.deepEqual(privateIPv4s(loOnly), []);
  assert.deepEqual(publicIPv6s(loOnly), []);
  const ula = host([['eth0', 'fd00::1', 64]]);
  assert.deepEqual(publicIPv6s(ula), []); // unique local addresses are not public
});

test('never throws: any text gives a string or an Error', () => {
  const rng = new SeededRng(7);
  const parts = [
    '{{',
    '}}',
    ' ',
    '|',
    '"',
    'GetAllInterfaces',
    'include',
    'attr',
    '"name"',
    '"lo"',
    '.',
    '-1',
    'x',
    '\\',
  ];
  for (let n = 0; n < 2000; n++) {
    let t = '';
    const len = rng.int(12);
    for (let i = 0; i < len; i++) t += parts[rng.int(parts.length)];
    const r = expandTemplate(t, vm);
    assert.ok(typeof r === 'string' || r instanceof Error, t);
  }
});
