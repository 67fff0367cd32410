/**
 * The file MAC: SHA-512 over the plaintext bytes of every value in document order
 * (no separators, keys and comments excluded), stored encrypted with the data key
 * and the `lastmodified` time as AAD.
 */

import { createHash, type Hash } from 'node:crypto';
import { MacMismatchError } from '../errors.js';
import { formatSealed, open, parseSealed, seal } from './cipher.js';

/** SHA-256("sops"): the prefix fed to the hash when `mac_only_encrypted` is set. */
const MAC_ONLY_ENCRYPTED_PREFIX = Buffer.from(
  '8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69',
  'hex',
);

export class MacHasher {
  private readonly hash: Hash = createHash('sha512');

  constructor(readonly onlyEncrypted: boolean) {
    if (onlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_PREFIX);
  }

  /** Feeds a value's plaintext bytes, if the MAC covers it. */
  add(bytes: Uint8Array | null, encrypted: boolean): void {
    if (bytes === null || bytes.length === 0) return;
    if (this.onlyEncrypted && !encrypted) return;
    this.hash.update(bytes);
  }

  /** 128 upper-case hex characters, as sops's `%X`. */
  hex(): string {
    return this.hash.digest('hex').toUpperCase();
  }
}

/** Encrypts the MAC for storage in metadata. */
export function sealMac(mac: string, key: Uint8Array, lastModified: string): string {
  return formatSealed(seal(key, Buffer.from(mac, 'utf8'), lastModified, 'str'));
}

/** Compares the stored MAC with the computed one; throws MacMismatchError when they differ. */
export function verifyMac(stored: string | undefined, computed: string, key: Uint8Array, lastModified: string): void {
  if (stored === undefined)
    throw new MacMismatchError('sops: the file has no MAC (use --ignore-mac to decrypt anyway)');
  let expected: string;
  try {
    expected = Buffer.from(open(key, parseSealed(stored, 'sops.mac'), lastModified, 'sops.mac')).toString('utf8');
  } catch (err) {
    throw new MacMismatchError('sops: the stored MAC could not be decrypted (file tampered or lastmodified changed)', {
      cause: err,
    });
  }
  if (expected !== computed) {
    // Neither digest is printed: a hash of short plaintext values is open to guessing.
    throw new MacMismatchError('sops: MAC mismatch: the values do not match the stored MAC (file tampered?)');
  }
}
