/**
 * Whole SOPS files: parse through a store, split off and read the metadata, and
 * decrypt end to end into plaintext bytes in any output format.
 */

import { MetadataError } from '../errors.js';
import type { Context } from '../types.js';
import { type DecryptedFile, type DecryptOptions, decryptFile, type EncryptedFile } from './decrypt.js';
import { readMetadata } from './metadata.js';
import { type Format, loadStore, type StoreOptions } from './stores/index.js';
import type { Tree } from './tree.js';

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
  const decrypted = await decryptFile(file, ctx, { ...options, rawStrings: outputFormat === 'binary' });
  const output = await emitPlain(decrypted.tree, outputFormat, options);
  return { ...decrypted, output };
}
