/**
 * Encrypting a tree: every selected value is sealed with the data key and its path
 * as AAD, the MAC is computed over the plaintext, and unchanged values reuse the IV
 * they had (the stash) so edits produce byte-identical ciphertext and clean diffs.
 */

import { FormatError } from '../errors.js';
import { formatSealed, newIv, seal } from './cipher.js';
import { MacHasher, sealMac } from './mac.js';
import { type Metadata, rfc3339Now } from './metadata.js';
import { type Judge, makeJudge, type Selection } from './selection.js';
import type { CommentNode, Scalar, Tree } from './tree.js';
import { scalarBytes, scalarType } from './values.js';
import { walkTree } from './walk.js';

/** Remembers the IV of every decrypted value by (path, type, plaintext). */
export class IvStash {
  private readonly ivs = new Map<string, Uint8Array>();

  private static id(aad: string, type: string, plaintext: Uint8Array): string {
    return `${aad}\u0000${type}\u0000${Buffer.from(plaintext).toString('base64')}`;
  }

  remember(aad: string, type: string, plaintext: Uint8Array, iv: Uint8Array): void {
    this.ivs.set(IvStash.id(aad, type, plaintext), iv);
  }

  ivFor(aad: string, type: string, plaintext: Uint8Array): Uint8Array {
    if (this.ivs.size === 0) return newIv();
    return this.ivs.get(IvStash.id(aad, type, plaintext)) ?? newIv();
  }
}

export const aadOf = (path: readonly string[]): string => (path.length === 0 ? ':' : `${path.join(':')}:`);

export interface EncryptTreeOptions {
  selection: Selection;
  macOnlyEncrypted: boolean;
  stash?: IvStash;
}

function refuseReadableComment(selection: Selection, judge: Judge, text: string, where: string): void {
  if (selection?.field !== 'unencrypted_comment_regex') return;
  // sops refuses to write an encrypted comment that its own rule would read as a plaintext marker
  if (!judge([], [text], true)) {
    throw new FormatError(`sops: ${where}: an encrypted comment would match unencrypted_comment_regex`);
  }
}

/** Encrypts a plaintext tree; returns the encrypted tree and the MAC (hex) of its plaintext. */
export function encryptTree(tree: Tree, key: Uint8Array, options: EncryptTreeOptions): { tree: Tree; mac: string } {
  const judge = makeJudge(options.selection);
  const mac = new MacHasher(options.macOnlyEncrypted);
  const stash = options.stash ?? new IvStash();
  const encrypted = walkTree(tree, (node, at): Scalar | CommentNode => {
    const where = at.path.join('.') || '(top level)';
    const aad = aadOf(at.path);
    const selected = judge(at.path, at.comments, node.t === 'comment');
    if (node.t === 'comment') {
      if (!selected || node.v === '') return node;
      const plaintext = Buffer.from(node.v, 'utf8');
      const sealed = seal(key, plaintext, aad, 'comment', stash.ivFor(aad, 'comment', plaintext));
      const text = formatSealed(sealed);
      refuseReadableComment(options.selection, judge, text, where);
      return { ...node, v: text };
    }
    const plaintext = scalarBytes(node);
    mac.add(plaintext, selected);
    if (!selected || plaintext === null || plaintext.length === 0) return node;
    const type = scalarType(node);
    return { t: 'str', v: formatSealed(seal(key, plaintext, aad, type, stash.ivFor(aad, type, plaintext))) };
  });
  return { tree: encrypted, mac: mac.hex() };
}

/** Sets `lastmodified` and the sealed MAC on metadata after an encryption. */
export function stampMetadata(meta: Metadata, mac: string, key: Uint8Array, now: Date): Metadata {
  const lastModified = rfc3339Now(now);
  return { ...meta, lastModified, mac: sealMac(mac, key, lastModified) };
}
