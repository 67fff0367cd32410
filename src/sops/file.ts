/**
 * Loading and saving whole SOPS files: picks the store for a format, splits the
 * `sops` metadata off the documents, and runs decryption end to end.
 */

import { FormatError, KeywardError, MetadataError } from '../errors.js';
import type { Context } from '../types.js';
import { type DecryptedFile, type DecryptOptions, decryptFile, type EncryptedFile } from './decrypt.js';
import { readMetadata } from './metadata.js';
import { emitYaml, parseYaml } from './stores/yaml.js';
import { type MapNode, type Tree, takeEntry, toPlain } from './tree.js';

export const FORMATS = ['yaml', 'json', 'dotenv', 'ini', 'binary'] as const;
export type Format = (typeof FORMATS)[number];

/** The store sops picks for a file name: by extension, anything unknown is binary. */
export function formatForPath(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.env')) return 'dotenv';
  if (lower.endsWith('.ini')) return 'ini';
  return 'binary';
}

export function isFormat(text: string | undefined): text is Format {
  return text !== undefined && (FORMATS as readonly string[]).includes(text);
}

function unsupported(format: Format): never {
  throw new KeywardError('usage', `${format}: this store is not supported yet (yaml is)`);
}

function parseDocuments(text: string, format: Format): MapNode[] {
  if (format === 'yaml') return parseYaml(text);
  return unsupported(format);
}

/** Parses an encrypted file and separates its metadata from the data. */
export function loadEncrypted(text: string, format: Format): EncryptedFile {
  const documents = parseDocuments(text, format);
  const first = documents[0];
  if (!first) throw new FormatError(`${format}: the file has no document`);
  const meta = takeEntry(first, 'sops');
  for (const doc of documents.slice(1)) takeEntry(doc, 'sops');
  if (meta === undefined || meta.t !== 'map') throw new MetadataError('sops metadata not found');
  return { tree: { documents }, metadata: readMetadata(toPlain(meta)) };
}

export interface EmitOptions {
  indent?: number;
}

/** Serializes a plaintext tree in a format. */
export function emitPlain(tree: Tree, format: Format, options: EmitOptions = {}): string {
  if (format === 'yaml') return emitYaml(tree.documents, options);
  return unsupported(format);
}

export interface DecryptTextOptions extends DecryptOptions, EmitOptions {
  inputFormat: Format;
  outputFormat?: Format;
}

export interface DecryptTextResult extends DecryptedFile {
  output: string;
}

/** Decrypts an encrypted file's text into plaintext text. */
export async function decryptText(text: string, options: DecryptTextOptions, ctx: Context): Promise<DecryptTextResult> {
  const file = loadEncrypted(text, options.inputFormat);
  const decrypted = await decryptFile(file, ctx, options);
  const output = emitPlain(decrypted.tree, options.outputFormat ?? options.inputFormat, options);
  return { ...decrypted, output };
}
