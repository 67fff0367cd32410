/**
 * The contract every file format implements. A store turns file bytes into the
 * ordered tree and back, and knows where its format keeps the `sops` metadata
 * (a `sops` key, `sops_*` lines, an INI `[sops]` section, a JSON envelope).
 */

import type { MapNode, Node } from '../tree.js';

export const FORMATS = ['yaml', 'json', 'dotenv', 'ini', 'binary'] as const;
export type Format = (typeof FORMATS)[number];

export interface StoreOptions {
  /** Indentation for YAML / JSON output (sops's `--indent` / `.sops.yaml` `stores` setting). */
  indent?: number;
}

export interface ParsedEncrypted {
  documents: MapNode[];
  /** The metadata as plain data (maps as objects, lists as arrays), unflattened; undefined when absent. */
  metadata: unknown;
}

export interface Store {
  readonly format: Format;
  /** Parses a plaintext file. Throws FormatError for bad input. */
  parsePlain(input: Uint8Array): MapNode[];
  /** Parses an encrypted file and splits off its metadata. */
  parseEncrypted(input: Uint8Array): ParsedEncrypted;
  /** Writes plaintext documents. */
  emitPlain(documents: readonly MapNode[], options: StoreOptions): Uint8Array;
  /** Writes encrypted documents with the metadata tree (keys already in sops's order). */
  emitEncrypted(documents: readonly MapNode[], metadata: MapNode, options: StoreOptions): Uint8Array;
  /** Writes one value for `decrypt --extract` (maps as a document; strings are handled by the caller). */
  emitValue(node: Node, options: StoreOptions): Uint8Array;
}
