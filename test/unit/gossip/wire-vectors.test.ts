// Every packet captured from real Go memberlist/Serf peers (reference/gossip-vectors) decodes through
// all layers and encodes back to the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  decodePacket,
  decodeStream,
  encodePacket,
  encodeStream,
  type Packet,
  type StreamMessage,
} from '../../../src/gossip/memberlist/packet.js';
import { MessageType } from '../../../src/gossip/memberlist/messages.js';

const DIR = new URL('../../../../../shared/reference/gossip-vectors/', import.meta.url);
const key = (f: string) =>
  new Uint8Array(Buffer.from(readFileSync(new URL(`raw/${f}`, DIR), 'utf8').trim(), 'base64'));
const KEY1 = key('key1.b64');
const KEY2 = key('key2.b64');

interface Vector {
  kind: string;
  transport: 'udp' | 'tcp';
  hex: string;
  kinds: string[];
}

const FILES: Array<[string, { keys: Uint8Array[]; label: string }]> = [
  ['vectors-plain.json', { keys: [], label: '' }],
  ['vectors-memberlist.json', { keys: [], label: '' }],
  ['vectors-periodic.json', { keys: [], label: '' }],
  ['vectors-encrypted.json', { keys: [KEY1], label: '' }],
  ['vectors-keyring.json', { keys: [KEY1, KEY2], label: '' }],
  ['vectors-encv0.json', { keys: [KEY1], label: '' }],
  ['vectors-label.json', { keys: [], label: 'partition-a' }],
  ['vectors-label-encrypted.json', { keys: [KEY1], label: 'partition-a' }],
];

function udpKinds(p: Packet, out: Set<string>): Set<string> {
  switch (p.kind) {
    case 'label':
      out.add('udp:label');
      return udpKinds(p.inner, out);
    case 'encrypted':
      out.add(`udp:encrypted(v${p.version})`);
      return udpKinds(p.inner, out);
    case 'crc':
      out.add('udp:hasCrc');
      return udpKinds(p.inner, out);
    case 'compress':
      out.add('udp:compress');
      return udpKinds(p.inner, out);
    case 'compound':
      out.add('udp:compound');
      for (const x of p.parts) udpKinds(x, out);
      return out;
    case 'user':
      out.add('udp:user');
      return out;
    case 'message': {
      const f = p.fields;
      const name = Object.entries(MessageType).find(([, v]) => v === p.type)![0];
      if (name === 'ack') out.add(f.Payload ? 'udp:ack+coordinate' : 'udp:ack');
      else if (name === 'indirectPing') out.add(`udp:indirectPing(nack=${f.Nack})`);
      else if (name === 'dead' && f.From === f.Node) out.add('udp:dead(leave: Node==From)');
      else out.add(`udp:${name}`);
      return out;
    }
  }
}

function tcpKinds(m: StreamMessage, out: Set<string>): Set<string> {
  switch (m.kind) {
    case 'encrypted':
      out.add(`tcp:encrypted(v${m.version})`);
      return tcpKinds(m.inner, out);
    case 'compress':
      out.add('tcp:compress');
      return tcpKinds(m.inner, out);
    case 'pushPull':
      out.add(m.header.Join ? 'tcp:pushPull(join)' : 'tcp:pushPull(periodic)');
      return out;
    case 'user':
      out.add('tcp:user');
      return out;
    case 'message':
      out.add(`tcp:${Object.entries(MessageType).find(([, v]) => v === m.type)![0]}`);
      return out;
  }
}

let total = 0;
for (const [file, opts] of FILES) {
  test(`wire vectors: ${file}`, () => {
    const vectors = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Vector[];
    assert.ok(vectors.length > 0);
    for (const v of vectors) {
      const bytes = new Uint8Array(Buffer.from(v.hex, 'hex'));
      const want = new Set(v.kinds.filter((k) => k.startsWith('udp:') || k.startsWith('tcp:')));
      if (v.transport === 'udp') {
        const p = decodePacket(bytes, opts);
        assert.deepEqual(udpKinds(p, new Set()), want, `${file} ${v.kind}`);
        assert.equal(
          Buffer.from(encodePacket(p, opts)).toString('hex'),
          v.hex,
          `${file} ${v.kind} re-encoded`,
        );
      } else {
        const s = decodeStream(bytes, opts);
        const got = new Set<string>();
        if (s.label) got.add('tcp:label');
        for (const m of s.messages) tcpKinds(m, got);
        assert.deepEqual(got, want, `${file} ${v.kind}`);
        assert.equal(
          Buffer.from(encodeStream(s, opts)).toString('hex'),
          v.hex,
          `${file} ${v.kind} re-encoded`,
        );
      }
      total++;
    }
  });
}

test('all vector files were exercised', () => {
  assert.ok(total >= 60, `only ${total} vectors`);
});

test('tampering is refused: CRC mismatch, wrong key, wrong label', () => {
  const plain = JSON.parse(readFileSync(new URL('vectors-plain.json', DIR), 'utf8')) as Vector[];
  const crc = plain.find((v) => v.kinds[0] === 'udp:hasCrc')!;
  const b = new Uint8Array(Buffer.from(crc.hex, 'hex'));
  b[b.length - 1] = b[b.length - 1]! ^ 1;
  assert.throws(() => decodePacket(b), /CRC mismatch/);
  const encd = JSON.parse(readFileSync(new URL('vectors-encrypted.json', DIR), 'utf8')) as Vector[];
  assert.throws(() => decodePacket(new Uint8Array(Buffer.from(encd[0]!.hex, 'hex')), { keys: [KEY2] }), {
    message: 'No installed keys could decrypt the message',
  });
  const lab = JSON.parse(readFileSync(new URL('vectors-label.json', DIR), 'utf8')) as Vector[];
  const udp = lab.find((v) => v.transport === 'udp')!;
  assert.throws(
    () => decodePacket(new Uint8Array(Buffer.from(udp.hex, 'hex')), { label: 'other' }),
    /label mismatch/,
  );
  assert.throws(() => decodePacket(new Uint8Array(Buffer.from(udp.hex, 'hex'))), /label mismatch/);
});
