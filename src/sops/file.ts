/**
 * Whole SOPS files: parse through a store, split off and read the metadata, and
 * decrypt end to end into plaintext bytes in any output format.
 */

import { randomBytes } from 'node:crypto';
import { FormatError, KeywardError, MetadataError } from '../errors.js';
import type { Context } from '../types.js';
import { type KeySpec, wrapDataKey } from './data-key.js';
import { type DecryptedFile, type DecryptOptions, decryptFile, type EncryptedFile } from './decrypt.js';
import { encryptTree, stampMetadata } from './encrypt.js';
import { type Metadata, readMetadata } from './metadata.js';
import { metadataTree } from './metadata-tree.js';
import type { Selection } from './selection.js';
import { type Format, loadStore, type StoreOptions } from './stores/index.js';
import { isComment, type MapNode, type Tree } from './tree.js';
import { getAt, type PathPart } from './tree-path.js';

/** The sops release whose file format keyward writes (the `version` field). */
export const SOPS_FORMAT_VERSION = '3.13.2';

/** Parses an encrypted file and separates its metadata from the data. */
export async function loadEncrypted(input: Uint8Array, format: Format): Promise<EncryptedFile> {
  const store = await loadStore(format);
  const parsed = store.parseEncrypted(input);
  if (parsed.metadata === undefined || parsed.metadata === null) throw new MetadataError('sops metadata not found');
  return { tree: { documents: parsed.documents }, metadata: readMetadata(parsed.metadata) };
}

/** Serializes a plaintext tree in a format. */
export async function emitPlain(tree: Tree, format: Format, options: StoreOptions = {}): Promise<Uint8Array> {
  return (await loadStore(format)).emitPlain(tree.documents, options);
}

export interface DecryptBytesOptions extends DecryptOptions, StoreOptions {
  inputFormat: Format;
  outputFormat?: Format;
}

export interface DecryptBytesResult extends DecryptedFile {
  output: Uint8Array;
}

/** Decrypts an encrypted file into plaintext bytes in the output format. */
export async function decryptBytes(
  input: Uint8Array,
  options: DecryptBytesOptions,
  ctx: Context,
): Promise<DecryptBytesResult> {
  const outputFormat = options.outputFormat ?? options.inputFormat;
  const file = await loadEncrypted(input, options.inputFormat);
  const rawStrings = outputFormat === 'binary' || options.inputFormat === 'binary';
  const decrypted = await decryptFile(file, ctx, { ...options, rawStrings });
  const output = await emitPlain(decrypted.tree, outputFormat, options);
  return { ...decrypted, output };
}

export interface EncryptBytesOptions extends StoreOptions {
  inputFormat: Format;
  outputFormat?: Format;
  keyGroups: readonly (readonly KeySpec[])[];
  shamirThreshold: number;
  selection: Selection;
  macOnlyEncrypted: boolean;
}

function alreadyEncrypted(documents: readonly MapNode[], format: Format): boolean {
  return documents.some((doc) =>
    doc.items.some(
      (item) => !isComment(item) && (item.key === 'sops' || (format === 'dotenv' && item.key.startsWith('sops_'))),
    ),
  );
}

/** Encrypts a plaintext file with a new data key wrapped for the given key groups. */
export async function encryptBytes(input: Uint8Array, options: EncryptBytesOptions, ctx: Context): Promise<Uint8Array> {
  const store = await loadStore(options.inputFormat);
  const documents = store.parsePlain(input);
  if (alreadyEncrypted(documents, options.inputFormat)) {
    throw new KeywardError('already-encrypted', 'sops: the file already contains sops metadata (already encrypted?)');
  }
  const binary = options.inputFormat === 'binary';
  if (binary && (options.selection || options.macOnlyEncrypted)) {
    ctx.log.warn('sops: selection rules and --mac-only-encrypted do not apply to binary files; ignoring them');
  }
  const selection: Selection = binary
    ? null
    : (options.selection ?? { field: 'unencrypted_suffix', value: '_unencrypted' });
  const macOnlyEncrypted = !binary && options.macOnlyEncrypted;
  const dataKey = new Uint8Array(randomBytes(32));
  const keyGroups = await wrapDataKey(options.keyGroups, dataKey, options.shamirThreshold, ctx);
  const encrypted = encryptTree({ documents }, dataKey, { selection, macOnlyEncrypted });
  const base: Metadata = {
    keyGroups,
    shamirThreshold: keyGroups.length > 1 ? options.shamirThreshold || keyGroups.length : options.shamirThreshold,
    lastModified: '',
    mac: undefined,
    selection,
    macOnlyEncrypted,
    version: SOPS_FORMAT_VERSION,
  };
  const meta = stampMetadata(base, encrypted.mac, dataKey, ctx.now());
  const out = await loadStore(options.outputFormat ?? options.inputFormat);
  return out.emitEncrypted(encrypted.tree.documents, metadataTree(meta), options);
}

/** `decrypt --extract`: a string is written raw (no newline), a map as a document, anything else as the store writes values. */
export async function extractBytes(
  tree: Tree,
  path: readonly PathPart[],
  format: Format,
  options: StoreOptions = {},
): Promise<Uint8Array> {
  const [doc] = tree.documents;
  if (!doc) throw new FormatError('extract: the file has no document');
  const node = getAt(doc, path);
  if (node.t === 'str') return new TextEncoder().encode(node.v);
  if (node.t === 'bytes') return node.v;
  const store = await loadStore(format);
  return node.t === 'map' ? store.emitPlain([node], options) : store.emitValue(node, options);
}
