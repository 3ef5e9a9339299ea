// Joins across a gossip-key mismatch, in simulation: each refusal reaches the joiner in memberlist's
// words, because the listener answers an unreadable stream with an err message layered (encrypted) as
// its replies are, which the joiner then fails to read itself.
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { GossipCluster } from './gossip-cluster.js';

const K1 = new Uint8Array(32).fill(1);
const K2 = new Uint8Array(32).fill(2);

forEachSeed(
  'gossip keys: a wrong, missing or unexpected key is refused in memberlist words',
  [1],
  async (seed) => {
    const c = new GossipCluster(seed);
    const enc = await c.add('enc', {}, { keys: [K1] });
    const enc2 = await c.add('enc2', {}, { keys: [K1] });
    const wrong = await c.add('wrong', {}, { keys: [K2] });
    const plain = await c.add('plain');
    assert.deepEqual(await c.join(enc2, enc), { n: 1, err: null });
    assert.deepEqual(await c.join(wrong, enc), {
      n: 0,
      err: `Failed to join ${enc.ip}:8301: No installed keys could decrypt the message`,
    });
    // The listener's err reply is encrypted, so the keyless joiner reports the encrypted answer.
    assert.deepEqual(await c.join(plain, enc), {
      n: 0,
      err: `Failed to join ${enc.ip}:8301: Remote state is encrypted and encryption is not configured`,
    });
    // The keyless listener answers in plaintext, which a verifying joiner refuses.
    assert.deepEqual(await c.join(enc, plain), {
      n: 0,
      err: `Failed to join ${plain.ip}:8301: Encryption is configured but remote state is not encrypted`,
    });
    await c.runFor(2000);
    assert.deepEqual(Object.keys(c.view(enc)).sort(), ['enc', 'enc2']);
    assert.deepEqual(Object.keys(c.view(wrong)), ['wrong']);
    assert.deepEqual(Object.keys(c.view(plain)), ['plain']);
  },
);
