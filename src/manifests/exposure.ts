/**
 * Where a secret shows unmasked in Argo CD. Argo CD masks exactly the values of
 * `data` and `stringData` of a core `v1` Secret; everything else (a Secret's labels and
 * annotations, a `kind: Secret` of another API group, any other kind) is shown in its
 * UI and diffs. A resolved placeholder or a decrypted SOPS value anywhere else counts
 * as exposed: the plugin warns about it, and fails in strict mode.
 */

import { type Document, isMap, isPair, isScalar, isSeq, visit } from 'yaml';

/** A secret value in a place Argo CD shows unmasked. */
export interface Exposure {
  file: string;
  document: number;
  kind: string;
  name: string;
  /** The field a placeholder filled, or `<section> (SOPS)` for decrypted values. */
  field: string;
}

const MASKED = new Set(['data', 'stringData']);
/** Their values are the object's type, known from the output anyway. */
const TYPE_FIELDS = new Set(['apiVersion', 'kind']);

/** Whether the document is a core v1 Secret. */
const isCoreSecret = (doc: Document): boolean => doc.get('apiVersion') === 'v1' && doc.get('kind') === 'Secret';

/** Whether the document has an alias (`*a`, `<<: *a`): a value may then show in more than one place. */
function hasAlias(doc: Document): boolean {
  let found = false;
  visit(doc, {
    Alias: () => {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The top-level sections of the document whose values Argo CD masks: `data` and
 * `stringData` of a core v1 Secret without aliases (an alias could repeat a masked
 * value under `metadata`, so in a document with aliases nothing counts as masked).
 */
export const maskedSections = (doc: Document): ReadonlySet<string> =>
  isCoreSecret(doc) && !hasAlias(doc) ? MASKED : new Set();

/** The kind and name for reports. */
export function identify(doc: Document): { kind: string; name: string } {
  const kind = doc.get('kind');
  const name = doc.getIn(['metadata', 'name']);
  return { kind: typeof kind === 'string' ? kind : '', name: typeof name === 'string' ? name : '' };
}

function holdsCiphertext(node: unknown): boolean {
  if (isScalar(node)) return typeof node.value === 'string' && node.value.startsWith('ENC[');
  if (isMap(node)) return node.items.some((pair) => isPair(pair) && holdsCiphertext(pair.value));
  if (isSeq(node)) return node.items.some(holdsCiphertext);
  return false;
}

/** The top-level sections of a SOPS-encrypted document that hold encrypted values. */
function encryptedSections(encrypted: Document): string[] {
  const out: string[] = [];
  const root = encrypted.contents;
  if (!isMap(root)) return out;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'sops' && holdsCiphertext(pair.value)) out.push(key);
  }
  return out;
}

/**
 * The sections of a decrypted document (`plain`, decrypted from `encrypted`) whose
 * decrypted values Argo CD would show.
 */
export function decryptedExposure(plain: Document, encrypted: Document | undefined): string[] {
  const sections = encrypted ? encryptedSections(encrypted) : ['(document)'];
  const masked = maskedSections(plain);
  return sections.filter((section) => !TYPE_FIELDS.has(section) && !masked.has(section));
}
