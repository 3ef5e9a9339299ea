#!/usr/bin/env node
// The least a Node.js DNS responder can do: node:dgram in, a stored answer copied out with the query's
// ID, node:dgram back. A query it has not seen (the bytes after the ID) is asked of the agent once and
// its answer kept; every later one is answered from what it kept. bench/dns-perf.mjs runs it beside the
// agent and unbound: the gap between it and unbound is the runtime's (libuv, the dgram binding), the gap
// between it and the agent is the agent's own.
//
//   node bench/dns-floor.mjs <listen-ip> <port> <agent-ip>

import dgram from 'node:dgram';

const [ip, port, agentIp] = process.argv.slice(2);
const answers = new Map();

function learn(key, query) {
  const ask = dgram.createSocket('udp4');
  ask.on('message', (a) => {
    answers.set(key, a);
    ask.close();
  });
  ask.send(query, Number(port), agentIp);
}

const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  const key = m.subarray(2).toString('latin1');
  const a = answers.get(key);
  if (!a) return learn(key, Buffer.from(m));
  const out = Buffer.allocUnsafe(a.length);
  a.copy(out);
  out[0] = m[0];
  out[1] = m[1];
  s.send(out, r.port, r.address);
});
s.bind(Number(port), ip, () => process.stdout.write('ready\n'));
