/**
 * The public surface of the keyward core. The CLI, the Argo CD plugin and the
 * sidecar import only this module.
 */

export { backendSchemes } from './backends/index.js';
export { isPlainVaultPath } from './backends/vault/kv.js';
export * from './errors.js';
export { keyTypeIds } from './keys/index.js';
export { type CheckOptions, type CheckSource, checkSource, type Finding, isSopsFile } from './manifests/check.js';
export { checkPlaceholders } from './manifests/check-placeholders.js';
export {
  type Exposure,
  type ManifestSource,
  type Reference,
  type ReferenceCheck,
  type RenderOptions,
  type RenderResult,
  renderManifests,
} from './manifests/render.js';
export { sopsAware } from './manifests/sops-input.js';
export { createBackend, type ReaderOptions } from './placeholders/reader.js';
export { checkPlaceholderText, type PlaceholderCheck } from './placeholders/resolve.js';
export { resolveTexts, schemesOf, type TextOptions, type TextResult } from './placeholders/text.js';
export { isYes, Settings } from './settings.js';
export {
  type CreationRule,
  configIndent,
  creationRuleFor,
  findConfig,
  namedByPathRule,
  type SopsConfig,
} from './sops/config.js';
export { DEFAULT_DECRYPTION_ORDER, type KeySpec, keyIdentity, keySpecFromText } from './sops/data-key.js';
export { type DecryptedFile, type DecryptOptions, decryptFile, decryptTree } from './sops/decrypt.js';
export {
  type DecryptBytesOptions,
  decryptBytes,
  type EncryptBytesOptions,
  emitPlain,
  encryptBytes,
  extractBytes,
  loadEncrypted,
  SOPS_FORMAT_VERSION,
} from './sops/file.js';
export type { KeyEntry, Metadata } from './sops/metadata.js';
export {
  currentKeySpecs,
  emitWithMetadata,
  type OpenedFile,
  openEncrypted,
  parseJsonValue,
  rewrapKeys,
  rotateOpened,
  sealOpened,
} from './sops/modify.js';
export { SELECTION_FIELDS, type Selection, type SelectionField, selectionFrom } from './sops/selection.js';
export { valToString } from './sops/stores/flatten.js';
export { FORMATS, type Format, formatForPath, isFormat, loadStore, type Store } from './sops/stores/index.js';
export type { MapNode, Node, Tree } from './sops/tree.js';
export { getAt, type PathPart, parseTreePath, setAt, unsetAt } from './sops/tree-path.js';
export type {
  BackendHelpers,
  BackendInstance,
  BackendType,
  Context,
  HttpFetch,
  HttpRequest,
  HttpResponse,
  KeyType,
  Logger,
  RunOptions,
  RunResult,
} from './types.js';
