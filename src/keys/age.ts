/**
 * `age` master keys: the data key (or a Shamir share) is encrypted to one age
 * recipient and stored as an ASCII-armored age file. Identities come from the
 * settings sops reads: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default key file.
 */

import { armor, Decrypter, Encrypter } from 'age-encryption';
import { ConfigError, FormatError } from '../errors.js';
import type { Settings } from '../settings.js';
import type { Context, KeyFields, KeyType } from '../types.js';

export interface AgeRef {
  recipient: string;
}

const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const identityCache = new WeakMap<Context, Promise<string[]>>();

/** Splits key text into identities: one or more per line, `#` lines and blanks ignored. */
export function parseIdentities(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    for (const word of trimmed.split(/\s+/)) if (word.startsWith('AGE-')) out.push(word);
  }
  return out;
}

/** The default key file: `$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/sops/age/keys.txt`. */
export function defaultKeyFile(settings: Settings): string | undefined {
  const xdg = settings.first('XDG_CONFIG_HOME');
  if (xdg) return `${xdg}/sops/age/keys.txt`;
  const home = settings.first('HOME');
  return home ? `${home}/.config/sops/age/keys.txt` : undefined;
}

async function readOptional(ctx: Context, path: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await ctx.readFile(path));
  } catch {
    return undefined;
  }
}

async function loadIdentities(ctx: Context): Promise<string[]> {
  const found: string[] = [];
  const inline = ctx.settings.first('SOPS_AGE_KEY');
  if (inline) found.push(...parseIdentities(inline));
  const keyFile = ctx.settings.first('SOPS_AGE_KEY_FILE');
  if (keyFile) {
    const text = await readOptional(ctx, keyFile);
    if (text === undefined) throw new ConfigError(`age: cannot read SOPS_AGE_KEY_FILE ${keyFile}`);
    found.push(...parseIdentities(text));
  }
  const fallback = defaultKeyFile(ctx.settings);
  if (fallback) {
    const text = await readOptional(ctx, fallback);
    if (text !== undefined) found.push(...parseIdentities(text));
  }
  return found.filter((id) => {
    if (id.startsWith('AGE-SECRET-KEY-')) return true;
    ctx.log.warn('age: skipping an identity of an unsupported kind (plugin identities are not supported)');
    return false;
  });
}

function identities(ctx: Context): Promise<string[]> {
  let cached = identityCache.get(ctx);
  if (!cached) {
    cached = loadIdentities(ctx);
    identityCache.set(ctx, cached);
  }
  return cached;
}

function short(recipient: string): string {
  return recipient.length > 20 ? `${recipient.slice(0, 12)}…${recipient.slice(-6)}` : recipient;
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
    if (!X25519_RECIPIENT.test(recipient) && !recipient.startsWith('age1pq1')) {
      throw new ConfigError(`age: ${JSON.stringify(recipient)} is not an age recipient`);
    }
    return { recipient };
  },

  async wrap(ref: AgeRef, part: Uint8Array): Promise<string> {
    const enc = new Encrypter();
    enc.addRecipient(ref.recipient);
    return armor.encode(await enc.encrypt(part));
  },

  async unwrap(_ref: AgeRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    const ids = await identities(ctx);
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
      throw new FormatError('age: could not decrypt the wrapped data key', { cause: err });
    }
  },
};
