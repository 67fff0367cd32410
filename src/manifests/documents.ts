/**
 * A render's input documents: one source's text parsed (within the limits of
 * parse.ts), a SOPS-encrypted source decrypted, documents of nothing but comments
 * dropped. With `kubernetesOnly` (the Argo CD plugin) only Kubernetes objects go
 * on: a SOPS file whose documents have no `apiVersion` and `kind` keys is a data
 * file for `<sops:…>` placeholders and is skipped without being decrypted, and any
 * other document without a string `apiVersion` and `kind` fails the render, since
 * Argo CD would show it unmasked and then fail to apply it.
 */

import { Document, isScalar } from 'yaml';
import { ConfigError, FormatError } from '../errors.js';
import { decryptedExposure } from './exposure.js';
import { type DocumentLimits, parseManifests } from './parse.js';

export interface ManifestSource {
  /** File name for reports (`-` for stdin). */
  name: string;
  text: string;
}

export interface SourceOptions {
  /** Decrypts a source that is a SOPS file (text in, plaintext YAML out). */
  decryptSource?: (source: ManifestSource) => Promise<string>;
  /** Only Kubernetes objects may be rendered (see above). */
  kubernetesOnly?: boolean;
}

export interface SourceDocuments {
  docs: Document[];
  /** Set when the source was decrypted: per document, the sections whose decrypted values Argo CD shows. */
  exposed?: string[][];
  /** Set when the source is a SOPS data file that was skipped. */
  skipped?: boolean;
}

/** A document of nothing but comments (a Helm template that rendered to nothing): not a manifest. */
const isEmpty = (doc: Document): boolean =>
  doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''));

const isSops = (doc: Document): boolean => doc.has('sops') && doc.hasIn(['sops', 'mac']);

const hasObjectKeys = (doc: Document): boolean => doc.has('apiVersion') && doc.has('kind');

/** Whether the document is a Kubernetes object: a string apiVersion and kind. */
function isObject(doc: Document): boolean {
  const apiVersion = doc.get('apiVersion');
  const kind = doc.get('kind');
  return typeof apiVersion === 'string' && apiVersion !== '' && typeof kind === 'string' && kind !== '';
}

function requireObjects(docs: readonly Document[], name: string): void {
  docs.forEach((doc, index) => {
    if (!isObject(doc)) {
      throw new FormatError(
        `${name}: document ${index} is not a Kubernetes object (no apiVersion and kind); only Kubernetes objects are rendered`,
      );
    }
  });
}

export async function documentsOf(
  source: ManifestSource,
  options: SourceOptions,
  limits: DocumentLimits,
): Promise<SourceDocuments> {
  const parse = (text: string) => parseManifests(text, source.name, limits).filter((d) => !isEmpty(d));
  const json = /\.json$/i.test(source.name) || /^\s*[[{]/.test(source.text);
  // JSON has no comments to keep: rebuilt as block-style YAML, as argocd-vault-plugin prints it
  const docs = parse(source.text).map((d) => (json ? new Document(d.toJS()) : d));
  if (!docs.some(isSops)) {
    if (options.kubernetesOnly) requireObjects(docs, source.name);
    return { docs };
  }
  // a SOPS file that holds no Kubernetes object serves <sops:…> placeholders: never part of the output
  if (options.kubernetesOnly && !docs.some(hasObjectKeys)) return { docs: [], skipped: true };
  if (!options.decryptSource) throw new ConfigError(`${source.name}: a SOPS file, and this render cannot decrypt`);
  const decrypted = parse(await options.decryptSource(source));
  if (options.kubernetesOnly) requireObjects(decrypted, source.name);
  const encrypted = docs.filter(isSops);
  return { docs: decrypted, exposed: decrypted.map((doc, i) => decryptedExposure(doc, encrypted[i] ?? encrypted[0])) };
}
