/**
 * Decrypting a parsed SOPS file: recover the data key, decrypt every selected
 * value with its path as AAD, and check the MAC over the plaintext.
 */

import { DecryptValueError } from '../errors.js';
import type { Context, Logger } from '../types.js';
import { isEncrypted, open, parseSealed, type Sealed } from './cipher.js';
import { DEFAULT_DECRYPTION_ORDER, recoverDataKey } from './data-key.js';
import { aadOf } from './encrypt.js';
import type { IvStash } from './iv-stash.js';
import { MacHasher, verifyMac } from './mac.js';
import type { Metadata } from './metadata.js';
import { makeJudge } from './selection.js';
import type { CommentNode, Scalar, Tree } from './tree.js';
import { parseTyped, scalarBytes } from './values.js';
import { walkTree } from './walk.js';

export interface DecryptOptions {
  ignoreMac?: boolean;
  decryptionOrder?: readonly string[];
  /** Keep `str` values as raw bytes (binary store). */
  rawStrings?: boolean;
  /** Filled with the IV of every decrypted value, for re-encrypting unchanged values identically. */
  stash?: IvStash;
}

export interface EncryptedFile {
  tree: Tree;
  metadata: Metadata;
}

export interface DecryptedFile {
  tree: Tree;
  metadata: Metadata;
  dataKey: Uint8Array;
}

/**
 * Comments are encrypted with the path of the map or list holding them. Parsers
 * attach some comments to a neighbouring node, so parent paths are tried too.
 */
function openComment(
  key: Uint8Array,
  text: string,
  path: readonly string[],
  where: string,
  stash: IvStash | undefined,
  position: number,
): string | undefined {
  let sealed: Sealed;
  try {
    sealed = parseSealed(text, where);
  } catch {
    return undefined;
  }
  for (let len = path.length; len >= 0; len--) {
    try {
      const plaintext = open(key, sealed, aadOf(path.slice(0, len)), where);
      stash?.remember(aadOf(path), 'comment', plaintext, sealed.iv, position);
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(plaintext);
    } catch {
      // try the parent path
    }
  }
  return undefined;
}

/** Decrypts every value of `file` with an already recovered data key. */
export function decryptTree(file: EncryptedFile, key: Uint8Array, log: Logger, options: DecryptOptions = {}): Tree {
  const judge = makeJudge(file.metadata.selection);
  const mac = new MacHasher(file.metadata.macOnlyEncrypted);
  let leaf = 0;
  const tree = walkTree(file.tree, (node, at): Scalar | CommentNode => {
    const position = leaf++;
    const where = at.path.join('.') || '(top level)';
    const encrypted = judge(at.path, at.comments, node.t === 'comment');
    if (node.t === 'comment') {
      if (!encrypted || node.v === '' || !isEncrypted(node.v)) {
        if (encrypted && node.v !== '') log.warn(`sops: ${where}: comment is not encrypted; kept as it is`);
        return node;
      }
      const text = openComment(key, node.v, at.path, where, options.stash, position);
      // sops loses the same-line position of a comment it decrypts: it comes out above its key
      if (text !== undefined) return { t: 'comment', v: text };
      log.warn(`sops: ${where}: could not decrypt a comment; kept as it is`);
      return node;
    }
    if (!encrypted) {
      mac.add(scalarBytes(node), false);
      return node;
    }
    if (node.t === 'null') return node;
    if (node.t !== 'str' || (node.v !== '' && !isEncrypted(node.v))) {
      throw new DecryptValueError(`sops: ${where}: value should be encrypted but is plaintext`);
    }
    if (node.v === '') return node;
    const sealed = parseSealed(node.v, where);
    const plaintext = open(key, sealed, aadOf(at.path), where);
    options.stash?.remember(
      aadOf(at.path),
      sealed.type === 'bytes' ? 'str' : sealed.type,
      plaintext,
      sealed.iv,
      position,
    );
    const parsed = parseTyped(sealed.type, plaintext, where, options.rawStrings ?? false);
    if (typeof parsed === 'string') {
      // sops 3.13.2 writes comments inside lists as `- ENC[…,type:comment]` items; like sops, read them back as
      // comments (their text counts in the MAC here but not when sops encrypted them: a MAC mismatch, as in sops)
      if (!at.inSeq) throw new DecryptValueError(`sops: ${where}: a value cannot have type comment`);
      mac.add(new TextEncoder().encode(parsed), true);
      return { t: 'comment', v: parsed };
    }
    mac.add(scalarBytes(parsed), true);
    return parsed;
  });
  if (!options.ignoreMac) verifyMac(file.metadata.mac, mac.hex(), key, file.metadata.lastModified);
  return tree;
}

/** Recovers the data key through the key groups and decrypts the file. */
export async function decryptFile(
  file: EncryptedFile,
  ctx: Context,
  options: DecryptOptions = {},
): Promise<DecryptedFile> {
  const fromEnv = ctx.settings
    .first('SOPS_DECRYPTION_ORDER')
    ?.split(',')
    .map((s) => s.trim());
  const order = options.decryptionOrder ?? fromEnv ?? DEFAULT_DECRYPTION_ORDER;
  const dataKey = await recoverDataKey(file.metadata, ctx, order);
  return { tree: decryptTree(file, dataKey, ctx.log, options), metadata: file.metadata, dataKey };
}
