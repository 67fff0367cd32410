/**
 * age's SSH stanzas as recipient and identity objects for format.ts.
 * `ssh-ed25519`: an ephemeral X25519 share against the key's Montgomery form, the
 * shared secret tweaked by an HKDF of the SSH key, then ChaCha20-Poly1305 under
 * an HKDF of share and key. `ssh-rsa`: RSA-OAEP with SHA-256 and a fixed label.
 * Both stanzas start with a 4-byte tag of the key so identities skip other keys.
 */

import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { FormatError } from '../../errors.js';
import type { AgeIdentity, AgeRecipient, Stanza } from './format.js';
import type { SshPrivateKey, SshPublicKey } from './ssh-format.js';

const ED25519_LABEL = 'age-encryption.org/v1/ssh-ed25519';
const RSA_LABEL = Buffer.from('age-encryption.org/v1/ssh-rsa');
const FILE_KEY_SIZE = 16;
const NONCE = new Uint8Array(12);

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/** The stanza tag of an SSH key: the first 4 bytes of the SHA-256 of its wire form, unpadded base64. */
export function sshTag(wire: Uint8Array): string {
  return b64(sha256(wire).subarray(0, 4));
}

/** Strict unpadded base64, as age writes stanza arguments; undefined when not canonical. */
function unb64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : undefined;
}

function hkdf(secret: Uint8Array, salt: Uint8Array, size = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, salt, ED25519_LABEL, size));
}

/** The ssh-ed25519 wrapping key from the raw X25519 secret, the ephemeral share and the recipient's X25519 key. */
function ed25519WrapKey(shared: Uint8Array, wire: Uint8Array, share: Uint8Array, theirs: Uint8Array): Uint8Array {
  const tweak = hkdf(new Uint8Array(0), wire);
  const tweaked = x25519.getSharedSecret(tweak, shared);
  return hkdf(tweaked, Buffer.concat([share, theirs]));
}

function seal(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, NONCE, { authTagLength: 16 });
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length !== FILE_KEY_SIZE + 16) throw new FormatError('age: an ssh-ed25519 stanza has a malformed body');
  const decipher = createDecipheriv('chacha20-poly1305', key, NONCE, { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(FILE_KEY_SIZE));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, FILE_KEY_SIZE)), decipher.final()]);
  } catch {
    throw new FormatError('age: the ssh-ed25519 stanza for this key does not decrypt');
  }
}

/** A Recipient for an `ssh-ed25519` or `ssh-rsa` public key. */
export function sshRecipient(key: SshPublicKey): AgeRecipient {
  const tag = sshTag(key.wire);
  if (key.kind === 'ssh-rsa') {
    const opts = { key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: RSA_LABEL };
    return { wrapFileKey: (fileKey): Stanza[] => [{ args: ['ssh-rsa', tag], body: publicEncrypt(opts, fileKey) }] };
  }
  const theirs = ed25519.utils.toMontgomery(key.point);
  return {
    wrapFileKey(fileKey): Stanza[] {
      const ephemeral = randomBytes(32);
      const share = x25519.getPublicKey(ephemeral);
      const wrapKey = ed25519WrapKey(x25519.getSharedSecret(ephemeral, theirs), key.wire, share, theirs);
      return [{ args: ['ssh-ed25519', tag, b64(share)], body: seal(wrapKey, fileKey) }];
    },
  };
}

/** An Identity for an unencrypted `ssh-ed25519` or `ssh-rsa` private key. */
export function sshIdentity(key: SshPrivateKey): AgeIdentity {
  const tag = sshTag(key.wire);
  if (key.kind === 'ssh-rsa') {
    const opts = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: RSA_LABEL };
    return {
      unwrapFileKey(stanzas) {
        for (const s of stanzas) {
          if (s.args[0] !== 'ssh-rsa') continue;
          if (s.args.length !== 2) throw new FormatError('age: an ssh-rsa stanza is malformed');
          if (s.args[1] !== tag) continue;
          try {
            return new Uint8Array(privateDecrypt({ ...opts, key: key.key }, s.body));
          } catch {
            throw new FormatError('age: the ssh-rsa stanza for this key does not decrypt');
          }
        }
        return null;
      },
    };
  }
  const scalar = ed25519.utils.toMontgomerySecret(key.seed);
  const ours = x25519.getPublicKey(scalar);
  return {
    unwrapFileKey(stanzas) {
      for (const s of stanzas) {
        if (s.args[0] !== 'ssh-ed25519') continue;
        const share = s.args.length === 3 ? unb64(s.args[2] ?? '') : undefined;
        if (share?.length !== 32) throw new FormatError('age: an ssh-ed25519 stanza is malformed');
        if (s.args[1] !== tag) continue;
        let shared: Uint8Array;
        try {
          shared = x25519.getSharedSecret(scalar, share);
        } catch {
          throw new FormatError('age: an ssh-ed25519 stanza has an invalid ephemeral share');
        }
        return open(ed25519WrapKey(shared, key.wire, share, ours), s.body);
      }
      return null;
    },
  };
}
