/**
 * SSH key formats behind age's SSH recipients and identities: public keys as
 * written in authorized_keys (`ssh-ed25519 AAAA… comment`, `ssh-rsa AAAA…`) and
 * their wire encoding, and private keys in the OpenSSH format or as PEM (PKCS#1,
 * PKCS#8). A passphrase-protected key is recognised but never opened.
 */

import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

/** A problem with key text; the message is fixed wording and never quotes the key. */
export class SshKeyFormatError extends Error {}

export type SshPublicKey =
  | { kind: 'ssh-ed25519'; wire: Uint8Array; point: Uint8Array }
  | { kind: 'ssh-rsa'; wire: Uint8Array; key: KeyObject };

export type SshPrivateKey =
  | { kind: 'ssh-ed25519'; wire: Uint8Array; seed: Uint8Array }
  | { kind: 'ssh-rsa'; wire: Uint8Array; key: KeyObject };

const MIN_RSA_BITS = 2048;
const RECIPIENT = /^(ssh-ed25519|ssh-rsa)[ \t]+([A-Za-z0-9+/]+={0,2})(?:[ \t].*)?$/s;
const OPENSSH = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;
const PEM = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]*?-----END (?:RSA )?PRIVATE KEY-----/;
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;
const MAGIC = 'openssh-key-v1\0';

/** Reads the length-prefixed fields of the SSH wire format. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}

  u32(): number {
    if (this.at + 4 > this.buf.length) throw new SshKeyFormatError('is truncated');
    this.at += 4;
    return new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(this.at - 4);
  }

  bytes(): Uint8Array {
    const n = this.u32();
    if (this.at + n > this.buf.length) throw new SshKeyFormatError('is truncated');
    this.at += n;
    return this.buf.subarray(this.at - n, this.at);
  }

  text(): string {
    return Buffer.from(this.bytes()).toString('latin1');
  }

  get done(): boolean {
    return this.at === this.buf.length;
  }
}

function field(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/** An unsigned big-endian integer as an SSH mpint (minimal, with a 0 byte when the top bit is set). */
function mpint(unsigned: Uint8Array): Uint8Array {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start++;
  const digits = unsigned.subarray(start);
  return field((digits[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), digits]) : digits);
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const big = (bytes: Uint8Array): bigint =>
  bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
const unbig = (n: bigint): string => {
  const hex = n.toString(16);
  return b64u(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
};

function ed25519Wire(point: Uint8Array): Uint8Array {
  return Buffer.concat([field('ssh-ed25519'), field(point)]);
}

/** The canonical wire form of an RSA key (as Go's x/crypto/ssh marshals it), from its JWK. */
function rsaWire(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.n || !jwk.e) throw new SshKeyFormatError('is not a usable rsa key');
  return Buffer.concat([
    field('ssh-rsa'),
    mpint(Buffer.from(jwk.e, 'base64url')),
    mpint(Buffer.from(jwk.n, 'base64url')),
  ]);
}

function checkRsaSize(key: KeyObject): void {
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new SshKeyFormatError(`is an rsa key shorter than ${MIN_RSA_BITS} bits`);
  }
}

/** Parses an SSH public key blob of a kind age supports. */
function parsePublicWire(blob: Uint8Array): SshPublicKey {
  const r = new Reader(blob);
  const kind = r.text();
  if (kind === 'ssh-ed25519') {
    const point = r.bytes();
    if (point.length !== 32 || !r.done) throw new SshKeyFormatError('is a malformed ssh-ed25519 key');
    try {
      ed25519.utils.toMontgomery(point);
    } catch {
      throw new SshKeyFormatError('is not a valid ed25519 point');
    }
    return { kind, wire: ed25519Wire(point), point };
  }
  if (kind === 'ssh-rsa') {
    const e = r.bytes();
    const n = r.bytes();
    if (!r.done) throw new SshKeyFormatError('is a malformed ssh-rsa key');
    const jwk: JsonWebKey = { kty: 'RSA', n: unbig(big(n)), e: unbig(big(e)) };
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    checkRsaSize(key);
    return { kind, wire: rsaWire(key), key };
  }
  throw new SshKeyFormatError('is an ssh key of a kind age does not support');
}

/** Parses `ssh-ed25519 AAAA… [comment]` / `ssh-rsa AAAA… [comment]`. */
export function parseSshRecipient(text: string): SshPublicKey {
  const m = RECIPIENT.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new SshKeyFormatError('is not an ssh-ed25519 or ssh-rsa public key');
  const key = parsePublicWire(Buffer.from(m[2], 'base64'));
  if (key.kind !== m[1]) throw new SshKeyFormatError(`does not hold the ${m[1]} key its prefix names`);
  return key;
}

function opensshKey(body: string): SshPrivateKey | 'encrypted' {
  const data = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (data.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    throw new SshKeyFormatError('is not an openssh private key');
  }
  const r = new Reader(data.subarray(MAGIC.length));
  const cipher = r.text();
  r.text(); // kdf name
  r.bytes(); // kdf options
  if (r.u32() !== 1) throw new SshKeyFormatError('holds more than one key');
  r.bytes(); // public key, rebuilt canonically from the private part
  if (cipher !== 'none') return 'encrypted';
  const p = new Reader(r.bytes());
  const check = p.u32();
  if (p.u32() !== check) throw new SshKeyFormatError('is corrupt (check bytes differ)');
  const kind = p.text();
  if (kind === 'ssh-ed25519') {
    const point = p.bytes();
    const secret = p.bytes();
    if (point.length !== 32 || secret.length !== 64) throw new SshKeyFormatError('is a malformed ed25519 key');
    return { kind, wire: ed25519Wire(point), seed: Uint8Array.from(secret.subarray(0, 32)) };
  }
  if (kind === 'ssh-rsa') {
    const [n, e, d, iqmp, pp, q] = [p.bytes(), p.bytes(), p.bytes(), p.bytes(), p.bytes(), p.bytes()].map(big);
    if (!n || !e || !d || !iqmp || !pp || !q) throw new SshKeyFormatError('is a malformed rsa key');
    const jwk: JsonWebKey = {
      kty: 'RSA',
      ...{ n: unbig(n), e: unbig(e), d: unbig(d), p: unbig(pp), q: unbig(q), qi: unbig(iqmp) },
      ...{ dp: unbig(d % (pp - 1n)), dq: unbig(d % (q - 1n)) },
    };
    const key = createPrivateKey({ key: jwk, format: 'jwk' });
    checkRsaSize(key);
    return { kind, wire: rsaWire(key), key };
  }
  throw new SshKeyFormatError('is an ssh key of a kind age does not support');
}

function pemKey(pem: string): SshPrivateKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new SshKeyFormatError('is not a readable pem private key');
  }
  if (key.asymmetricKeyType === 'rsa') {
    checkRsaSize(key);
    return { kind: 'ssh-rsa', wire: rsaWire(key), key };
  }
  if (key.asymmetricKeyType === 'ed25519') {
    const jwk = key.export({ format: 'jwk' });
    if (!jwk.d || !jwk.x) throw new SshKeyFormatError('is not a usable ed25519 key');
    return {
      kind: 'ssh-ed25519',
      wire: ed25519Wire(Buffer.from(jwk.x, 'base64url')),
      seed: Buffer.from(jwk.d, 'base64url'),
    };
  }
  throw new SshKeyFormatError('is a private key of a kind age does not support');
}

/** Parses an SSH private key file's text; `'encrypted'` for a passphrase-protected key. */
export function parseSshPrivateKey(text: string): SshPrivateKey | 'encrypted' {
  const openssh = OPENSSH.exec(text);
  if (openssh) return opensshKey(openssh[1] ?? '');
  if (ENCRYPTED_PEM.test(text)) return 'encrypted';
  const pem = PEM.exec(text);
  if (pem) return pemKey(pem[0]);
  throw new SshKeyFormatError('is not an ssh private key');
}
