// consul snapshot save → wipe → restore on a real agent: the restored store equals the saved one
// record for record, the archive has Consul's layout (gzip'd tar: meta.json, state.bin, SHA256SUMS),
// inspect prints its table, and damaged archives are refused without touching the store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, stop, waitFor, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.0.161';
const PORT = 18670;
const H = `http://${IP}:${PORT}`;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const dir = mkdtempSync(path.join(tmpdir(), 'snap-'));
let agent: Proc;

before(async () => {
  agent = await startDevAgent(IP, PORT, 18671, ['-node=snap-node']);
  // The agent registers itself (node, serfHealth, the consul service) on its own; let that settle so
  // the saves compare only what the test wrote.
  await waitFor(
    'the agent in the catalog',
    async () => 'consul' in ((await (await fetch(`${H}/v1/catalog/services`)).json()) as object),
    10_000,
  );
});

after(async () => {
  await stop(agent);
  rmSync(dir, { recursive: true, force: true });
});

async function put(p: string, body: string): Promise<string> {
  const r = await fetch(`${H}${p}`, { method: 'PUT', body });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return text;
}

/** Tar entries of an archive: name → bytes (ustar headers are 512-byte blocks). */
function untar(archive: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(archive);
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length;) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString().replace(/\0.*$/s, ''), 8);
    out.set(name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** The store's records, minus what the running agent rewrites by itself (its coordinate). */
const records = (state: Buffer) =>
  state
    .toString()
    .split('\n')
    .slice(1)
    .filter((l) => l && !l.includes('"Coordinate"') && !l.includes('"coordinates"'));

test('snapshot save, wipe, restore: the store comes back record for record', async () => {
  await put('/v1/kv/app/config', 'v1');
  await put('/v1/kv/app/flags?flags=18446744073709551615', 'big flags');
  await put('/v1/kv/gone', 'x');
  await fetch(`${H}/v1/kv/gone`, { method: 'DELETE' });
  await put(
    '/v1/catalog/register',
    JSON.stringify({ Node: 'ext', Address: '10.9.9.9', Service: { Service: 'db', Port: 5432 } }),
  );
  const sess = JSON.parse(await put('/v1/session/create', '{"Name":"keeper"}')) as { ID: string };
  await put(`/v1/kv/app/lock?acquire=${sess.ID}`, 'me');

  const file = path.join(dir, 'backup.snap');
  const saved = consul(['snapshot', 'save', file], env);
  assert.equal(saved.code, 0, saved.err);
  assert.match(saved.out, /^Saved and verified snapshot to index \d+\n$/);
  assert.ok(!existsSync(`${file}.unverified`));
  const files = untar(readFileSync(file));
  assert.deepEqual([...files.keys()], ['meta.json', 'state.bin', 'SHA256SUMS']);
  const meta = JSON.parse(files.get('meta.json')!.toString()) as { Index: number; Size: number };
  assert.equal(meta.Size, files.get('state.bin')!.length);
  assert.equal(`Saved and verified snapshot to index ${meta.Index}\n`, saved.out);
  assert.match(
    files.get('SHA256SUMS')!.toString(),
    /^[0-9a-f]{64} {2}meta\.json\n[0-9a-f]{64} {2}state\.bin\n$/,
  );

  const inspected = consul(['snapshot', 'inspect', file], env);
  assert.equal(inspected.code, 0, inspected.err);
  assert.match(
    inspected.out,
    new RegExp(`^ ID {11}\\d+-${meta.Index}-\\d+\\n Size {9}${meta.Size}\\n Index {8}${meta.Index}\\n`),
  );
  assert.match(inspected.out, /\n Type +Count +Size +\n ---- +---- +---- +\n/);
  assert.match(inspected.out, /\n KVS +3 +\d+B +\n/);
  assert.match(inspected.out, /\n Session +1 +\d+B +\n/);

  // Wipe: keys, the session, the external node; add something new.
  await fetch(`${H}/v1/session/destroy/${sess.ID}`, { method: 'PUT' });
  await fetch(`${H}/v1/kv/?recurse`, { method: 'DELETE' });
  await put('/v1/catalog/deregister', '{"Node":"ext"}');
  await put('/v1/kv/new', 'after');

  const restored = consul(['snapshot', 'restore', file], env);
  assert.equal(restored.code, 0, restored.err);
  assert.equal(restored.out, 'Restored snapshot\n');
  const again = path.join(dir, 'again.snap');
  assert.equal(consul(['snapshot', 'save', again], env).code, 0);
  assert.deepEqual(records(untar(readFileSync(again)).get('state.bin')!), records(files.get('state.bin')!));
  const lock = (await (await fetch(`${H}/v1/kv/app/lock`)).json()) as Array<{ Session: string }>;
  assert.equal(lock[0]!.Session, sess.ID);
  assert.equal((await fetch(`${H}/v1/kv/new`)).status, 404);
});

test('damaged archives are refused and change nothing', async () => {
  await put('/v1/kv/canary', 'alive');
  const file = path.join(dir, 'ok.snap');
  assert.equal(consul(['snapshot', 'save', file], env).code, 0);
  const bytes = readFileSync(file);
  // A flipped byte inside state.bin fails the SHA-256 check.
  const files = untar(bytes);
  const tampered = path.join(dir, 'tampered.snap');
  const tar = gunzipSync(bytes);
  const at = tar.indexOf(files.get('state.bin')!.subarray(0, 32));
  tar[at + 5] = tar[at + 5]! ^ 0x20;
  const { gzipSync } = await import('node:zlib');
  writeFileSync(tampered, gzipSync(tar));
  const r1 = consul(['snapshot', 'restore', tampered], env);
  assert.equal(r1.code, 1);
  assert.match(
    r1.err,
    /^Error restoring snapshot: Unexpected response code: 500 \(failed to read snapshot file: sha256 hash mismatch for state\.bin\)/,
  );
  const notGzip = path.join(dir, 'plain.txt');
  writeFileSync(notGzip, 'hello');
  assert.equal(consul(['snapshot', 'restore', notGzip], env).code, 1);
  const inspectBad = consul(['snapshot', 'inspect', notGzip], env);
  assert.equal(inspectBad.code, 1);
  assert.match(inspectBad.err, /^Error extracting snapshot data: /);
  assert.equal(consul(['snapshot', 'save'], env).err, 'Missing FILE argument\n');
  assert.equal(
    consul(['snapshot', 'restore', 'a', 'b'], env).err,
    'Too many arguments (expected 1, got 2)\n',
  );
  const canary = (await (await fetch(`${H}/v1/kv/canary?raw`)).text()) as string;
  assert.equal(canary, 'alive');
});
