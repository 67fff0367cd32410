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
import type { CommentNode, Scalar, StrNode, Tree } from './tree.js';
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

/** A leaf to seal: what to seal, and the new node (in the output tree) that receives the ciphertext. */
interface Slot {
  plan: SealPlan;
  node: StrNode | CommentNode;
  /** For comments: where they are, for the error message. */
  where: string;
}

/** Encrypts a plaintext tree; returns the encrypted tree and the MAC (hex) of its plaintext. */
export function encryptTree(tree: Tree, key: Uint8Array, options: EncryptTreeOptions): { tree: Tree; mac: string } {
  const judge = makeJudge(options.selection);
  const mac = new MacHasher(options.macOnlyEncrypted);
  // one walk builds the output tree and the MAC; leaves to seal get a node that is filled in below, once
  // the IVs are chosen over the whole tree (unchanged values keep theirs, see iv-stash.ts)
  const plans: (SealPlan | undefined)[] = [];
  const slots: Slot[] = [];
  const encrypted = walkTree(tree, (node, at): Scalar | CommentNode => {
    const aad = aadOf(at.path);
    const selected = judge(at.path, at.comments, node.t === 'comment');
    let plan: SealPlan | undefined;
    if (node.t === 'comment') {
      if (selected && node.v !== '') plan = { aad, type: 'comment', plaintext: Buffer.from(node.v, 'utf8') };
    } else {
      const plaintext = scalarBytes(node);
      mac.add(plaintext, selected);
      if (selected && plaintext !== null && plaintext.length > 0) plan = { aad, type: scalarType(node), plaintext };
    }
    plans.push(plan);
    if (plan === undefined) return node;
    const out: StrNode | CommentNode = node.t === 'comment' ? { ...node } : { t: 'str', v: '' };
    slots.push({ plan, node: out, where: out.t === 'comment' ? at.path.join('.') || '(top level)' : '' });
    return out;
  });
  const ivs = (options.stash ?? new IvStash()).assign(plans).filter((iv) => iv !== undefined);
  slots.forEach((slot, i) => {
    const { plan } = slot;
    slot.node.v = formatSealed(seal(key, plan.plaintext, plan.aad, plan.type, ivs[i] as Uint8Array));
    if (slot.node.t === 'comment') refuseReadableComment(options.selection, judge, slot.node.v, slot.where);
  });
  return { tree: encrypted, mac: mac.hex() };
}

/** Sets `lastmodified` and the sealed MAC on metadata after an encryption. */
export function stampMetadata(meta: Metadata, mac: string, key: Uint8Array, now: Date): Metadata {
  const lastModified = rfc3339Now(now);
  return { ...meta, lastModified, mac: sealMac(mac, key, lastModified) };
}
