/**
 * The age v1 file format on Node's own crypto: a header of recipient stanzas
 * sealed by an HMAC of the file key, then the payload as ChaCha20-Poly1305
 * STREAM chunks of 64 KiB under a key derived from the file key and a nonce.
 */

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { FormatError } from '../../errors.js';

/** A header stanza: `args[0]` is its type (`X25519`, `ssh-ed25519`, …). */
export interface Stanza {
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

export interface AgeRecipient {
  wrapFileKey(fileKey: Uint8Array): Stanza[] | Promise<Stanza[]>;
}

/** Returns the file key, or null when no stanza is for this identity. */
export interface AgeIdentity {
  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null | Promise<Uint8Array | null>;
}

/** Thrown when none of the identities opens any stanza. */
export class NoIdentityMatch extends Error {}

const VERSION = 'age-encryption.org/v1';
const CHUNK = 64 * 1024;
const TAG = 16;
const ARG = /^[\x21-\x7e]+$/;

export const b64raw = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/** Strict unpadded base64 as age writes it; undefined when not canonical. */
export function unb64raw(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64raw(bytes) === text ? new Uint8Array(bytes) : undefined;
}

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

const headerMac = (fileKey: Uint8Array, text: string): Buffer =>
  createHmac('sha256', hkdf(fileKey, new Uint8Array(0), 'header'))
    .update(text)
    .digest();

function stanzaText(s: Stanza): string {
  const body = b64raw(s.body);
  const lines = [`-> ${s.args.join(' ')}`];
  for (let i = 0; i <= body.length; i += 64) lines.push(body.slice(i, i + 64));
  return `${lines.join('\n')}\n`;
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Encrypts `plaintext` to every recipient; returns the binary age file. */
export async function encryptFile(recipients: readonly AgeRecipient[], plaintext: Uint8Array): Promise<Uint8Array> {
  const fileKey = randomBytes(16);
  let header = `${VERSION}\n`;
  for (const r of recipients) for (const s of await r.wrapFileKey(fileKey)) header += stanzaText(s);
  header += '---';
  header += ` ${b64raw(headerMac(fileKey, header))}\n`;
  const nonce = randomBytes(16);
  const key = hkdf(fileKey, nonce, 'payload');
  const parts: Uint8Array[] = [Buffer.from(header), nonce];
  for (let at = 0, n = 0; at === 0 || at < plaintext.length; at += CHUNK, n++) {
    const last = at + CHUNK >= plaintext.length;
    const cipher = createCipheriv('chacha20-poly1305', key, chunkNonce(n, last), { authTagLength: TAG });
    parts.push(cipher.update(plaintext.subarray(at, at + CHUNK)), cipher.final(), cipher.getAuthTag());
  }
  return new Uint8Array(Buffer.concat(parts));
}

interface Header {
  stanzas: Stanza[];
  /** The header text the MAC covers (through `---`). */
  signed: string;
  mac: Uint8Array;
  payloadStart: number;
}

function parseHeader(file: Uint8Array): Header {
  const bad = (what: string) => new FormatError(`age: malformed header (${what})`);
  const text = Buffer.from(file.subarray(0, Math.min(file.length, 1 << 20))).toString('latin1');
  let pos = 0;
  const line = (): string => {
    const end = text.indexOf('\n', pos);
    if (end === -1) throw bad('unexpected end');
    const out = text.slice(pos, end);
    pos = end + 1;
    return out;
  };
  if (line() !== VERSION) throw bad('unknown version');
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = pos;
    const head = line();
    if (head.startsWith('--- ')) {
      const mac = unb64raw(head.slice(4));
      if (mac?.length !== 32) throw bad('bad MAC');
      return { stanzas, signed: text.slice(0, start + 3), mac, payloadStart: pos };
    }
    const args = head.startsWith('-> ') ? head.slice(3).split(' ') : [];
    if (args.length === 0 || !args.every((a) => ARG.test(a))) throw bad('bad stanza');
    let b64 = '';
    for (let piece = line(); ; piece = line()) {
      if (piece.length > 64) throw bad('long body line');
      b64 += piece;
      if (piece.length < 64) break;
    }
    const body = unb64raw(b64);
    if (!body) throw bad('bad stanza body');
    stanzas.push({ args, body });
  }
}

/** Decrypts a binary age file with the first identity that opens a stanza. */
export async function decryptFile(identities: readonly AgeIdentity[], file: Uint8Array): Promise<Uint8Array> {
  const header = parseHeader(file);
  let fileKey: Uint8Array | null = null;
  for (const id of identities) {
    fileKey = await id.unwrapFileKey(header.stanzas);
    if (fileKey) break;
  }
  if (!fileKey) throw new NoIdentityMatch('age: no identity matched any of the recipients');
  const mac = headerMac(fileKey, header.signed);
  if (!timingSafeEqual(mac, header.mac)) throw new FormatError('age: the header MAC does not match');
  const nonce = file.subarray(header.payloadStart, header.payloadStart + 16);
  if (nonce.length !== 16) throw new FormatError('age: the payload is truncated');
  const key = hkdf(fileKey, nonce, 'payload');
  const body = file.subarray(header.payloadStart + 16);
  const out: Uint8Array[] = [];
  for (let at = 0, n = 0; at === 0 || at < body.length; at += CHUNK + TAG, n++) {
    const chunk = body.subarray(at, at + CHUNK + TAG);
    const last = at + CHUNK + TAG >= body.length;
    if (chunk.length < TAG || (n > 0 && chunk.length === TAG)) throw new FormatError('age: the payload is truncated');
    try {
      const d = createDecipheriv('chacha20-poly1305', key, chunkNonce(n, last), { authTagLength: TAG });
      d.setAuthTag(chunk.subarray(chunk.length - TAG));
      out.push(d.update(chunk.subarray(0, chunk.length - TAG)), d.final());
    } catch {
      throw new FormatError('age: the payload does not authenticate');
    }
  }
  return new Uint8Array(Buffer.concat(out));
}
