/**
 * `age` master keys: the data key (or a Shamir share) is encrypted to one age
 * recipient and stored as an ASCII-armored age file. Recipients are X25519
 * (`age1…`), hybrid post-quantum (`age1pq1…`) or SSH public keys (`ssh-ed25519 …`,
 * `ssh-rsa …`); identities come from every source sops reads (identities.ts).
 */

import { createHash } from 'node:crypto';
import { ConfigError, FormatError } from '../../errors.js';
import type { Context, KeyFields, KeyType } from '../../types.js';
import { armorDecode, armorEncode } from './armor.js';
import { type AgeIdentity, type AgeRecipient, decryptFile, encryptFile, NoIdentityMatch } from './format.js';
import { identitiesFor } from './identities.js';
import { parseX25519Recipient, x25519Identity, x25519Recipient } from './x25519.js';

export { defaultKeyFile, parseIdentities } from './identities.js';

export interface AgeRef {
  recipient: string;
}

const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const SSH_RECIPIENT = /^(ssh-ed25519|ssh-rsa)[ \t]+(\S+)/;

function short(recipient: string): string {
  const ssh = SSH_RECIPIENT.exec(recipient);
  if (ssh?.[1] && ssh[2]) {
    const digest = createHash('sha256').update(Buffer.from(ssh[2], 'base64')).digest('base64');
    return `${ssh[1]} SHA256:${digest.replace(/=+$/, '')}`;
  }
  return recipient.length > 20 ? `${recipient.slice(0, 12)}…${recipient.slice(-6)}` : recipient;
}

/** The SSH code (and @noble/curves under it) loads only for SSH recipients. */
async function sshKey(recipient: string) {
  const { parseSshRecipient, SshKeyFormatError } = await import('./ssh-format.js');
  try {
    return parseSshRecipient(recipient);
  } catch (err) {
    const reason = err instanceof SshKeyFormatError ? err.message : 'is not a valid ssh public key';
    throw new ConfigError(`age: the ssh recipient ${short(recipient)} ${reason}`);
  }
}

export const keyType: KeyType<AgeRef> = {
  id: 'age',
  hasCreatedAt: false,

  parseRef(fields: KeyFields): AgeRef {
    const recipient = fields.recipient;
    if (typeof recipient !== 'string' || recipient.trim() === '') {
      throw new FormatError('age: key entry has no recipient');
    }
    return { recipient: recipient.trim() };
  },

  formatRef(ref: AgeRef) {
    return { recipient: ref.recipient };
  },

  describe(ref: AgeRef): string {
    return `age ${short(ref.recipient)}`;
  },

  async parseFlag(text: string): Promise<AgeRef> {
    const recipient = text.trim();
    if (SSH_RECIPIENT.test(recipient)) {
      await sshKey(recipient);
      return { recipient };
    }
    if (!X25519_RECIPIENT.test(recipient) && !recipient.startsWith('age1pq1')) {
      throw new ConfigError(`age: ${JSON.stringify(recipient)} is not an age recipient`);
    }
    return { recipient };
  },

  async wrap(ref: AgeRef, part: Uint8Array): Promise<string> {
    // hybrid post-quantum recipients go through the age-encryption package, loaded only for them
    if (ref.recipient.startsWith('age1pq1')) {
      const { armor, Encrypter } = await import('age-encryption');
      const enc = new Encrypter();
      enc.addRecipient(ref.recipient);
      return armor.encode(await enc.encrypt(part));
    }
    return armorEncode(await encryptFile([await recipientFor(ref.recipient)], part));
  },

  async unwrap(ref: AgeRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    const ids = await identitiesFor(ctx, ref.recipient);
    if (ids.length === 0) return null;
    const file = armorDecode(enc);
    const own: AgeIdentity[] = [];
    const hybrid: string[] = [];
    for (const id of ids) {
      if (typeof id !== 'string') own.push(id);
      else if (id.startsWith('AGE-SECRET-KEY-PQ-')) hybrid.push(id);
      else {
        const parsed = x25519Identity(id);
        if (!parsed) throw new ConfigError('age: an identity is not a valid AGE-SECRET-KEY-1 string');
        own.push(parsed);
      }
    }
    try {
      return await decryptFile(own, file);
    } catch (err) {
      if (!(err instanceof NoIdentityMatch)) throw err;
    }
    return hybrid.length > 0 ? unwrapHybrid(hybrid, file) : null;
  },
};

async function recipientFor(recipient: string): Promise<AgeRecipient> {
  if (SSH_RECIPIENT.test(recipient)) {
    const { sshRecipient } = await import('./ssh.js');
    return sshRecipient(await sshKey(recipient));
  }
  const raw = parseX25519Recipient(recipient);
  if (!raw) throw new ConfigError(`age: ${JSON.stringify(recipient)} is not an age recipient`);
  return x25519Recipient(raw);
}

async function unwrapHybrid(ids: readonly string[], file: Uint8Array): Promise<Uint8Array | null> {
  const { Decrypter } = await import('age-encryption');
  const dec = new Decrypter();
  for (const id of ids) dec.addIdentity(id);
  try {
    return await dec.decrypt(file);
  } catch (err) {
    if (err instanceof Error && /no identity matched/i.test(err.message)) return null;
    throw new FormatError('age: could not decrypt the wrapped data key', { cause: err });
  }
}
