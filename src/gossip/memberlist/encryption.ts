// memberlist's AES-GCM layer (reference/gossip-protocol.md §9): version byte (0 = PKCS#7-padded
// plaintext, 1 = no padding), 12-byte nonce, ciphertext, 16-byte tag. The version byte is not
// authenticated; the additional data is the label (packets) or the frame header plus label (streams).
// Receivers try every key of the keyring, primary first.

import { createCipheriv, createDecipheriv } from 'node:crypto';

export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
export const VERSION_SIZE = 1;
/** Bytes added by version 1 encryption. */
export const ENCRYPT_OVERHEAD_V1 = VERSION_SIZE + NONCE_SIZE + TAG_SIZE;

function algo(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new Error(`key size must be 16, 24 or 32 bytes, not ${key.length}`);
  }
}

function pkcs7Pad(b: Uint8Array): Uint8Array {
  const n = 16 - (b.length % 16);
  const out = new Uint8Array(b.length + n);
  out.set(b);
  out.fill(n, b.length);
  return out;
}

export function encrypt(
  version: 0 | 1,
  key: Uint8Array,
  nonce: Uint8Array,
  plain: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  const c = createCipheriv(algo(key), key, nonce);
  if (aad.length > 0) c.setAAD(aad);
  const body = version === 0 ? pkcs7Pad(plain) : plain;
  const ct = Buffer.concat([c.update(body), c.final()]);
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + ct.length + TAG_SIZE);
  out[0] = version;
  out.set(nonce, 1);
  out.set(ct, 1 + NONCE_SIZE);
  out.set(c.getAuthTag(), 1 + NONCE_SIZE + ct.length);
  return out;
}

export interface Decrypted {
  plain: Uint8Array;
  version: 0 | 1;
  nonce: Uint8Array;
  keyIndex: number;
}

/** Tries each key; null when none opens the message (or it is malformed). */
export function decrypt(keys: readonly Uint8Array[], msg: Uint8Array, aad: Uint8Array): Decrypted | null {
  if (msg.length < ENCRYPT_OVERHEAD_V1) return null;
  const version = msg[0];
  if (version !== 0 && version !== 1) return null;
  const nonce = msg.subarray(1, 1 + NONCE_SIZE);
  const ct = msg.subarray(1 + NONCE_SIZE, msg.length - TAG_SIZE);
  const tag = msg.subarray(msg.length - TAG_SIZE);
  for (const [keyIndex, key] of keys.entries()) {
    try {
      const d = createDecipheriv(algo(key), key, nonce);
      if (aad.length > 0) d.setAAD(aad);
      d.setAuthTag(tag);
      let plain = new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
      if (version === 0) {
        const pad = plain[plain.length - 1] ?? 0;
        if (pad < 1 || pad > 16 || pad > plain.length) return null;
        plain = plain.subarray(0, plain.length - pad);
      }
      return { plain, version, nonce: nonce.slice(), keyIndex };
    } catch {
      // wrong key: try the next one
    }
  }
  return null;
}
