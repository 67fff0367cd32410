/**
 * The public surface of the keyward core. The CLI, the Argo CD plugin and the
 * sidecar import only this module.
 */

export * from './errors.js';
export { Settings } from './settings.js';
export type { Context, KeyType, Logger, RunOptions, RunResult, BackendType } from './types.js';
export { keyTypeIds } from './keys/index.js';
export { decryptFile, decryptTree, type DecryptOptions, type DecryptedFile } from './sops/decrypt.js';
export {
  decryptText,
  emitPlain,
  type Format,
  FORMATS,
  formatForPath,
  isFormat,
  loadEncrypted,
  type DecryptTextOptions,
} from './sops/file.js';
export type { Metadata, KeyEntry } from './sops/metadata.js';
export type { Tree, Node, MapNode } from './sops/tree.js';
export { DEFAULT_DECRYPTION_ORDER } from './sops/data-key.js';
