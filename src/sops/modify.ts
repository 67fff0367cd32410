/**
 * Changing an encrypted file without re-keying it (edit, set, unset): decrypt with
 * an IV stash, change the plaintext tree, encrypt again with the same data key so
 * every unchanged value keeps its exact ciphertext; MAC and lastmodified are new.
 * Rotation and key updates re-wrap the data key for new key groups.
 */

import { randomBytes } from 'node:crypto';
import { FormatError } from '../errors.js';
import type { Context } from '../types.js';
import { type KeySpec, wrapDataKey } from './data-key.js';
import { type DecryptOptions, decryptFile } from './decrypt.js';
import { encryptTree, stampMetadata } from './encrypt.js';
import { loadEncrypted } from './file.js';
import { IvStash } from './iv-stash.js';
import type { KeyEntry, Metadata } from './metadata.js';
import { metadataTree } from './metadata-tree.js';
import { type Format, loadStore, type StoreOptions } from './stores/index.js';
import type { Node, Tree } from './tree.js';

export interface OpenedFile {
  tree: Tree;
  metadata: Metadata;
  dataKey: Uint8Array;
  stash: IvStash;
}

/** Decrypts a file for modification, remembering every value's IV. */
export async function openEncrypted(
  input: Uint8Array,
  format: Format,
  ctx: Context,
  options: DecryptOptions = {},
): Promise<OpenedFile> {
  const stash = new IvStash();
  const file = await loadEncrypted(input, format);
  const decrypted = await decryptFile(file, ctx, { ...options, stash, rawStrings: format === 'binary' });
  // as sops does, a file without any selection rule is written back with the default one
  const selection = decrypted.metadata.selection ?? { field: 'unencrypted_suffix', value: '_unencrypted' };
  const metadata = { ...decrypted.metadata, selection };
  return { tree: decrypted.tree, metadata, dataKey: decrypted.dataKey, stash };
}

/** Encrypts a modified tree again with the file's data key and writes it in `format`. */
export async function sealOpened(
  opened: OpenedFile,
  format: Format,
  ctx: Context,
  options: StoreOptions = {},
): Promise<Uint8Array> {
  const { metadata, dataKey } = opened;
  const encrypted = encryptTree(opened.tree, dataKey, {
    selection: metadata.selection,
    macOnlyEncrypted: metadata.macOnlyEncrypted,
    stash: opened.stash,
  });
  const stamped = stampMetadata(metadata, encrypted.mac, dataKey, ctx.now());
  return (await loadStore(format)).emitEncrypted(encrypted.tree.documents, metadataTree(stamped), options);
}

/** The key specs of a file's current key groups (identity fields only). */
export function currentKeySpecs(metadata: Metadata): KeySpec[][] {
  return metadata.keyGroups.map((group) =>
    group.map((entry: KeyEntry) => ({ type: entry.type, fields: entry.fields })),
  );
}

/** Re-wraps the existing data key for new key groups (updatekeys, groups add/delete): MAC untouched. */
export async function rewrapKeys(
  opened: OpenedFile,
  groups: readonly (readonly KeySpec[])[],
  threshold: number,
  ctx: Context,
): Promise<Metadata> {
  const keyGroups = await wrapDataKey(groups, opened.dataKey, threshold, ctx);
  const shamirThreshold = keyGroups.length > 1 ? threshold || keyGroups.length : threshold;
  return { ...opened.metadata, keyGroups, shamirThreshold };
}

/** Rotation: a new data key for the same (or changed) key groups; every value is re-encrypted. */
export async function rotateOpened(
  opened: OpenedFile,
  groups: readonly (readonly KeySpec[])[],
  ctx: Context,
): Promise<OpenedFile> {
  const dataKey = new Uint8Array(randomBytes(32));
  const keyGroups = await wrapDataKey(groups, dataKey, opened.metadata.shamirThreshold, ctx);
  return { ...opened, dataKey, metadata: { ...opened.metadata, keyGroups } };
}

/** Writes metadata that changed without touching values (updatekeys). */
export async function emitWithMetadata(
  input: Uint8Array,
  format: Format,
  metadata: Metadata,
  options: StoreOptions = {},
): Promise<Uint8Array> {
  const file = await loadEncrypted(input, format);
  return (await loadStore(format)).emitEncrypted(file.tree.documents, metadataTree(metadata), options);
}

/** Parses a `set` value: JSON text; a bare number becomes a float, as in sops. */
export async function parseJsonValue(text: string): Promise<Node> {
  const [doc] = (await loadStore('json')).parsePlain(new TextEncoder().encode(`{"v": ${text}}`));
  const entry = doc?.items[0];
  if (!entry || 't' in entry || doc.items.length !== 1) throw new FormatError('set: the value must be one JSON value');
  const node = entry.value;
  return node.t === 'int' ? { t: 'float', v: Number(node.v) } : node;
}
