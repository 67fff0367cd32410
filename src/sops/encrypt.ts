/**
 * Encrypting a tree: every selected value is sealed with the data key and its path
 * as AAD, the MAC is computed over the plaintext, and unchanged values reuse the IV
 * they had (the stash) so edits produce byte-identical ciphertext and clean diffs.
 */

import { FormatError } from '../errors.js';
import { formatSealed, seal } from './cipher.js';
import { IvStash, type SealPlan } from './iv-stash.js';
import { MacHasher, sealMac } from './mac.js';
import { type Metadata, rfc3339Now } from './metadata.js';
import { type Judge, makeJudge, type Selection } from './selection.js';
import type { CommentNode, Scalar, Tree } from './tree.js';
import { scalarBytes, scalarType } from './values.js';
import { walkTree } from './walk.js';

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
  // first pass: what to seal at every leaf, and the MAC; then the IVs, chosen over the whole tree
  const plans: (SealPlan | undefined)[] = [];
  walkTree(tree, (node, at) => {
    const aad = aadOf(at.path);
    const selected = judge(at.path, at.comments, node.t === 'comment');
    if (node.t === 'comment') {
      plans.push(
        selected && node.v !== '' ? { aad, type: 'comment', plaintext: Buffer.from(node.v, 'utf8') } : undefined,
      );
      return node;
    }
    const plaintext = scalarBytes(node);
    mac.add(plaintext, selected);
    const sealed = selected && plaintext !== null && plaintext.length > 0;
    plans.push(sealed ? { aad, type: scalarType(node), plaintext } : undefined);
    return node;
  });
  const ivs = (options.stash ?? new IvStash()).assign(plans);
  let leaf = 0;
  const encrypted = walkTree(tree, (node, at): Scalar | CommentNode => {
    const plan = plans[leaf];
    const iv = ivs[leaf++];
    if (plan === undefined || iv === undefined) return node;
    const text = formatSealed(seal(key, plan.plaintext, plan.aad, plan.type, iv));
    if (node.t !== 'comment') return { t: 'str', v: text };
    refuseReadableComment(options.selection, judge, text, at.path.join('.') || '(top level)');
    return { ...node, v: text };
  });
  return { tree: encrypted, mac: mac.hex() };
}

/** Sets `lastmodified` and the sealed MAC on metadata after an encryption. */
export function stampMetadata(meta: Metadata, mac: string, key: Uint8Array, now: Date): Metadata {
  const lastModified = rfc3339Now(now);
  return { ...meta, lastModified, mac: sealMac(mac, key, lastModified) };
}
