/**
 * `age` master keys: the data key (or a Shamir share) is encrypted to one age
 * recipient and stored as an ASCII-armored age file. Recipients are X25519
 * (`age1…`), hybrid post-quantum (`age1pq1…`) or SSH public keys (`ssh-ed25519 …`,
 * `ssh-rsa …`); identities come from every source sops reads (identities.ts).
 */

import { createHash } from 'node:crypto';
import { armor, Decrypter, Encrypter } from 'age-encryption';
import { ConfigError, FormatError } from '../../errors.js';
import type { Context, KeyFields, KeyType } from '../../types.js';
import { identitiesFor } from './identities.js';
import { sshRecipient } from './ssh.js';
import { parseSshRecipient, SshKeyFormatError } from './ssh-format.js';

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

function sshKey(recipient: string) {
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

  parseFlag(text: string): AgeRef {
    const recipient = text.trim();
    if (SSH_RECIPIENT.test(recipient)) {
      sshKey(recipient);
      return { recipient };
    }
    if (!X25519_RECIPIENT.test(recipient) && !recipient.startsWith('age1pq1')) {
      throw new ConfigError(`age: ${JSON.stringify(recipient)} is not an age recipient`);
    }
    return { recipient };
  },

  async wrap(ref: AgeRef, part: Uint8Array): Promise<string> {
    const enc = new Encrypter();
    enc.addRecipient(SSH_RECIPIENT.test(ref.recipient) ? sshRecipient(sshKey(ref.recipient)) : ref.recipient);
    return armor.encode(await enc.encrypt(part));
  },

  async unwrap(ref: AgeRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    const ids = await identitiesFor(ctx, ref.recipient);
    if (ids.length === 0) return null;
    let file: Uint8Array;
    try {
      file = armor.decode(enc);
    } catch (err) {
      throw new FormatError('age: the wrapped data key is not a valid armored age file', { cause: err });
    }
    const dec = new Decrypter();
    for (const id of ids) dec.addIdentity(id);
    try {
      return await dec.decrypt(file);
    } catch (err) {
      if (err instanceof Error && /no identity matched/i.test(err.message)) return null;
      if (err instanceof FormatError) throw err;
      throw new FormatError('age: could not decrypt the wrapped data key', { cause: err });
    }
  },
};
