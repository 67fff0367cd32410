/**
 * age's native X25519 recipients (`age1…`) and identities (`AGE-SECRET-KEY-1…`)
 * on Node's built-in X25519, HKDF-SHA-256 and ChaCha20-Poly1305.
 */

import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { FormatError } from '../../errors.js';
import { bech32Decode, bech32Encode } from './bech32.js';
import { type AgeIdentity, type AgeRecipient, b64raw, type Stanza, unb64raw } from './format.js';

const LABEL = 'age-encryption.org/v1/X25519';
// DER headers only (ASN.1 framing for an X25519 key), no key material: the 32 key bytes are appended
const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const NONCE = Buffer.alloc(12);

const publicKey = (raw: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' });
const rawPublic = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' }).subarray(SPKI.length);

function shared(privateKey: KeyObject, theirs: Uint8Array): Buffer {
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey: publicKey(theirs) });
  } catch {
    throw new FormatError('age: an X25519 share is not a valid point');
  }
  if (secret.every((b) => b === 0)) throw new FormatError('age: an X25519 share is a low-order point');
  return secret;
}

const wrapKey = (secret: Uint8Array, share: Uint8Array, recipient: Uint8Array): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.concat([share, recipient]), LABEL, 32));

/** The 32-byte public key of an `age1…` recipient, or undefined when the string is not one. */
export function parseX25519Recipient(text: string): Uint8Array | undefined {
  const decoded = bech32Decode(text);
  return decoded?.hrp === 'age' && decoded.data.length === 32 && text === text.toLowerCase() ? decoded.data : undefined;
}

export function x25519Recipient(publicRaw: Uint8Array): AgeRecipient {
  const theirs = publicKey(publicRaw);
  return {
    wrapFileKey(fileKey: Uint8Array): Stanza[] {
      const eph = generateKeyPairSync('x25519');
      const share = rawPublic(eph.publicKey);
      const secret = diffieHellman({ privateKey: eph.privateKey, publicKey: theirs });
      const cipher = createCipheriv('chacha20-poly1305', wrapKey(secret, share, publicRaw), NONCE, {
        authTagLength: 16,
      });
      const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
      return [{ args: ['X25519', b64raw(share)], body }];
    },
  };
}

/** An identity from `AGE-SECRET-KEY-1…`; undefined when the string is not a valid X25519 identity. */
export function x25519Identity(text: string): (AgeIdentity & { recipient: string }) | undefined {
  const decoded = bech32Decode(text);
  if (decoded?.hrp !== 'age-secret-key-' || decoded.data.length !== 32 || text !== text.toUpperCase()) return undefined;
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8, decoded.data]), format: 'der', type: 'pkcs8' });
  // the private key's JWK carries its public key (x): cheaper than deriving and exporting a public key object
  const ours = Buffer.from(privateKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  if (ours.length !== 32) return undefined;
  return {
    recipient: bech32Encode('age', ours),
    unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null {
      for (const s of stanzas) {
        if (s.args[0] !== 'X25519') continue;
        const share = s.args.length === 2 ? unb64raw(s.args[1] ?? '') : undefined;
        if (share?.length !== 32 || s.body.length !== 32) {
          throw new FormatError('age: malformed X25519 stanza');
        }
        const key = wrapKey(shared(privateKey, share), share, ours);
        try {
          const d = createDecipheriv('chacha20-poly1305', key, NONCE, { authTagLength: 16 });
          d.setAuthTag(s.body.subarray(16));
          return new Uint8Array(Buffer.concat([d.update(s.body.subarray(0, 16)), d.final()]));
        } catch {
          // a stanza for another recipient
        }
      }
      return null;
    },
  };
}
