/**
 * AES-256-GCM value encryption in sops's `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`
 * form: 32-byte IVs, standard base64 with padding, AAD = the value's path.
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptValueError, FormatError } from '../errors.js';

export interface Sealed {
  data: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  type: string;
}

const ENC_PATTERN = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
export const IV_SIZE = 32;

export function isEncrypted(text: string): boolean {
  return ENC_PATTERN.test(text);
}

/** Parses an `ENC[…]` string. `where` names the location for errors. */
export function parseSealed(text: string, where: string): Sealed {
  const m = ENC_PATTERN.exec(text);
  if (!m) throw new FormatError(`sops: ${where}: value is not encrypted (expected ENC[AES256_GCM,…])`);
  const [, data = '', iv = '', tag = '', type = ''] = m;
  return { data: b64(data, where), iv: b64(iv, where), tag: b64(tag, where), type };
}

function b64(text: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new DecryptValueError(`sops: ${where}: could not decrypt value (bad base64)`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function formatSealed(s: Sealed): string {
  const enc = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return `ENC[AES256_GCM,data:${enc(s.data)},iv:${enc(s.iv)},tag:${enc(s.tag)},type:${s.type}]`;
}

/** Random IVs are cut from a pooled CSPRNG buffer: one getrandom call per 1,024 values. */
let ivPool = new Uint8Array(0);
let ivOffset = 0;

export function newIv(): Uint8Array {
  if (ivOffset + IV_SIZE > ivPool.length) {
    ivPool = new Uint8Array(randomBytes(IV_SIZE * 1024));
    ivOffset = 0;
  }
  const iv = ivPool.slice(ivOffset, ivOffset + IV_SIZE);
  ivPool.fill(0, ivOffset, ivOffset + IV_SIZE);
  ivOffset += IV_SIZE;
  return iv;
}

export function seal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: string,
  type: string,
  iv: Uint8Array = newIv(),
): Sealed {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { data: new Uint8Array(data), iv, tag: new Uint8Array(cipher.getAuthTag()), type };
}

/** Decrypts a sealed value; a wrong key, AAD or tampered data throws DecryptValueError. */
export function open(key: Uint8Array, sealed: Sealed, aad: string, where: string): Uint8Array {
  if (sealed.tag.length !== 16) throw new DecryptValueError(`sops: ${where}: bad authentication tag length`);
  if (sealed.iv.length === 0) throw new DecryptValueError(`sops: ${where}: empty iv`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return new Uint8Array(Buffer.concat([decipher.update(sealed.data), decipher.final()]));
  } catch (err) {
    throw new DecryptValueError(`sops: ${where}: could not decrypt value (wrong key, path or tampered data)`, {
      cause: err,
    });
  }
}
