/**
 * Rendering manifests: YAML or JSON sources in, one multi-document YAML stream out,
 * with every placeholder resolved and every SOPS-encrypted source decrypted. All
 * placeholders are parsed first, every unique secret is read once (concurrently),
 * then values are substituted in place, keeping key order and comments. Any failure
 * anywhere fails the whole render with every problem and its location, and no output
 * (fail closed). Kubernetes rules follow argocd-vault-plugin: the `ignore`, `path`,
 * `secret-version` and `remove-missing` annotations; in a Secret's `data`, a base64
 * value holding placeholders is decoded, resolved and encoded again; a ConfigMap gets
 * text only.
 */

import { Document, isScalar, parseAllDocuments } from 'yaml';
import { ConfigError, FormatError, PlaceholderError, type PlaceholderFailure } from '../errors.js';
import { type ReaderOptions, SecretReader } from '../placeholders/reader.js';
import {
  MissingSecretError,
  type Plan,
  plan,
  type Reads,
  refsOf,
  settle,
  substitute,
} from '../placeholders/resolve.js';
import type { BackendHelpers, Context } from '../types.js';
import { annotation, type Field, genericOf, kindOf, stringFields, truthy } from './fields.js';

export interface ManifestSource {
  /** File name for reports (`-` for stdin). */
  name: string;
  text: string;
}

export interface RenderOptions extends ReaderOptions {
  /** Decrypts a source that is a SOPS file (text in, plaintext YAML out). */
  decryptSource?: (source: ManifestSource) => Promise<string>;
}

/** A secret value in a manifest of a kind Argo CD shows unmasked (it masks only Secrets). */
export interface Exposure {
  file: string;
  document: number;
  kind: string;
  name: string;
  /** The field a placeholder filled, or `(SOPS document)` for a decrypted one. */
  field: string;
}

export interface RenderResult {
  yaml: string;
  documents: number;
  placeholders: number;
  /** Distinct backend reads. */
  reads: number;
  /** Resolved or decrypted values outside Secrets. */
  exposed: Exposure[];
}

/** A manifest Argo CD shows unmasked: every kind but Secret. */
interface Unmasked {
  kind: string;
  name: string;
}

interface Job {
  /** Set when the field's manifest is not a Secret: a value put there shows unmasked. */
  unmasked: Unmasked | undefined;
  file: string;
  document: number;
  field: Field;
  plan: Plan;
  /** `base64`: the field is base64 of text with placeholders (a Secret's data). */
  base64: boolean;
  textOnly: boolean;
  removeMissing: boolean;
}

const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;

/** A Secret data value that is base64 of text holding placeholders: that text. */
function encodedText(value: string): string | undefined {
  if (!BASE64.test(value)) return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return text.includes('<') && !text.includes('\uFFFD') ? text : undefined;
}

/** AVP_TYPE → the backend of AVP's `<path:…>` and `<key>` forms (default vault). */
const AVP_TYPES: Readonly<Record<string, string>> = { vault: 'vault', sops: 'sops' };

function avpScheme(ctx: Context): string {
  const type = ctx.settings.first('AVP_TYPE')?.trim().toLowerCase() ?? 'vault';
  const scheme = AVP_TYPES[type];
  if (!scheme) throw new ConfigError(`AVP_TYPE ${JSON.stringify(type)} is not supported (vault, sops)`);
  return scheme;
}

/** A document of nothing but comments (a Helm template that rendered to nothing): not a manifest. */
const isEmpty = (doc: Document): boolean =>
  doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''));

const isSops = (doc: Document): boolean => doc.has('sops') && doc.hasIn(['sops', 'mac']);

async function documentsOf(
  source: ManifestSource,
  options: RenderOptions,
): Promise<{ docs: Document[]; decrypted: boolean }> {
  const parse = (text: string) => {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) return [];
    const broken = docs.find((d) => d.errors.length > 0);
    if (broken) throw new FormatError(`${source.name}: not valid YAML or JSON (${broken.errors[0]?.code ?? 'syntax'})`);
    return docs.filter((d) => !isEmpty(d));
  };
  const json = /\.json$/i.test(source.name) || /^\s*[[{]/.test(source.text);
  // JSON has no comments to keep: rebuilt as block-style YAML, as argocd-vault-plugin prints it
  const docs = parse(source.text).map((d) => (json ? new Document(d.toJS()) : d));
  if (!docs.some(isSops)) return { docs, decrypted: false };
  if (!options.decryptSource) throw new ConfigError(`${source.name}: a SOPS file, and this render cannot decrypt`);
  return { docs: parse(await options.decryptSource(source)), decrypted: true };
}

type Fail = (where: { file: string; document: number }, field: string, err: unknown) => void;

function unmaskedOf(doc: Document): Unmasked | undefined {
  const kind = kindOf(doc);
  if (kind === 'Secret') return undefined;
  const name = doc.getIn(['metadata', 'name']);
  return { kind, name: typeof name === 'string' ? name : '' };
}

function jobsOf(doc: Document, file: string, document: number, avp: string, fail: Fail): Job[] {
  const kind = kindOf(doc);
  const unmasked = unmaskedOf(doc);
  const removeMissing = truthy(annotation(doc, 'remove-missing'));
  if (removeMissing && kind !== 'Secret' && kind !== 'ConfigMap') {
    fail(
      { file, document },
      'metadata.annotations',
      new ConfigError('remove-missing is only allowed on a Secret or ConfigMap'),
    );
    return [];
  }
  const generic = genericOf(doc, avp);
  const kvAnnotation = annotation(doc, 'kv-version');
  if (kvAnnotation !== undefined && kvAnnotation !== '1' && kvAnnotation !== '2') {
    fail({ file, document }, 'metadata.annotations', new ConfigError('kv-version must be "1" or "2"'));
    return [];
  }
  const kvVersion = kvAnnotation === undefined ? undefined : kvAnnotation === '1' ? 1 : 2;
  const jobs: Job[] = [];
  for (const field of stringFields(doc)) {
    try {
      const decoded = kind === 'Secret' && field.section === 'data' ? encodedText(field.value) : undefined;
      const fieldPlan = decoded !== undefined ? plan(decoded, generic) : undefined;
      const base64 = fieldPlan?.active === true;
      const p = base64 && fieldPlan ? fieldPlan : plan(field.value, generic);
      if (!p.active) continue;
      for (const segment of p.segments) {
        if (typeof segment === 'string') continue;
        // AVP's <path:…> form reads from the backend AVP_TYPE names, as in argocd-vault-plugin
        if (/^<\s*path:/.test(segment.text)) segment.ref.scheme = avp;
        if (kvVersion && segment.ref.scheme === 'vault') segment.ref.kvVersion = kvVersion;
      }
      jobs.push({ unmasked, file, document, field, plan: p, base64, textOnly: kind === 'ConfigMap', removeMissing });
    } catch (err) {
      fail({ file, document }, field.path, err);
    }
  }
  return jobs;
}

/** Whether a resolved field shows a secret: a value hashed by sha256sum (a checksum annotation) does not. */
const revealing = (p: Plan): boolean =>
  p.segments.some((seg) => typeof seg !== 'string' && seg.modifiers[seg.modifiers.length - 1]?.name !== 'sha256sum');

const text = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);

function apply(job: Job, reads: Reads): void {
  let value = substitute(job.plan, reads);
  if (job.base64) value = Buffer.from(text(value), 'utf8').toString('base64');
  else if (job.textOnly) value = text(value);
  job.field.set(value);
}

export async function renderManifests(
  sources: readonly ManifestSource[],
  ctx: Context,
  helpers: BackendHelpers,
  options: RenderOptions = {},
): Promise<RenderResult> {
  const failures: PlaceholderFailure[] = [];
  const fail: Fail = (where, field, err) =>
    failures.push({ ...where, field, message: err instanceof Error ? err.message : 'failed' });
  const avp = avpScheme(ctx);
  const documents: Document[] = [];
  const jobs: Job[] = [];
  const exposed: Exposure[] = [];
  const exposure = (unmasked: Unmasked | undefined, file: string, document: number, field: string) => {
    if (unmasked) exposed.push({ file, document, ...unmasked, field });
  };
  for (const source of sources) {
    const { docs, decrypted } = await documentsOf(source, options);
    docs.forEach((doc, index) => {
      documents.push(doc);
      if (decrypted) exposure(unmaskedOf(doc), source.name, index, '(SOPS document)');
      if (!truthy(annotation(doc, 'ignore'))) jobs.push(...jobsOf(doc, source.name, index, avp, fail));
    });
  }
  const reader = new SecretReader(ctx, helpers, options);
  const reads: Reads = new Map();
  try {
    await settle(
      reader,
      jobs.flatMap((j) => refsOf(j.plan)),
      reads,
    );
  } finally {
    await reader.close();
  }
  for (const job of jobs) {
    try {
      apply(job, reads);
      if (job.unmasked && revealing(job.plan)) exposure(job.unmasked, job.file, job.document, job.field.path);
    } catch (err) {
      if (err instanceof MissingSecretError && job.removeMissing) job.field.remove();
      else fail({ file: job.file, document: job.document }, job.field.path, err);
    }
  }
  if (failures.length > 0) throw new PlaceholderError(failures);
  const yaml = documents
    .map((d) => d.toString({ lineWidth: 0, directives: false, flowCollectionPadding: false }))
    .join('---\n');
  const placeholders = jobs.reduce((n, j) => n + refsOf(j.plan).length, 0);
  return { yaml, documents: documents.length, placeholders, reads: reader.count, exposed };
}
