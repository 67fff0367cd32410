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

import type { Document } from 'yaml';
import { ConfigError, PlaceholderError, type PlaceholderFailure } from '../errors.js';
import type { SecretRef } from '../placeholders/grammar.js';
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
import { documentsOf, type ManifestSource, type SourceOptions } from './documents.js';
import { type Exposure, identify, maskedSections } from './exposure.js';
import { annotation, type Field, genericOf, kindOf, stringFields, truthy } from './fields.js';
import { limitsOf } from './parse.js';

export type { ManifestSource } from './documents.js';
export type { Exposure } from './exposure.js';

/** A reference as a render is about to read it: its backend, path and version (never a value). */
export type Reference = Readonly<Pick<SecretRef, 'scheme' | 'path' | 'version'>>;

/**
 * Says why a reference may not be read, or undefined when it may. Every reference of
 * a render is checked before anything is read, so one refused reference means no read at all.
 */
export type ReferenceCheck = (ref: Reference) => string | undefined;

export interface RenderOptions extends ReaderOptions, SourceOptions {
  authorize?: ReferenceCheck;
}

export interface RenderResult {
  yaml: string;
  documents: number;
  placeholders: number;
  /** Distinct backend reads. */
  reads: number;
  /** Resolved or decrypted values in places Argo CD shows unmasked. */
  exposed: Exposure[];
  /** SOPS data files among the sources that were left out (kubernetesOnly). */
  skipped: string[];
}

/** The manifest a field's value would show in, unmasked; undefined when Argo CD masks it. */
type Unmasked = { kind: string; name: string } | undefined;

interface Job {
  unmasked: Unmasked;
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

type Fail = (where: { file: string; document: number }, field: string, err: unknown) => void;

function jobsOf(doc: Document, file: string, document: number, avp: string, fail: Fail): Job[] {
  const kind = kindOf(doc);
  const shown = identify(doc);
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
  const masked = maskedSections(doc);
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
      const unmasked = masked.has(field.section) ? undefined : shown;
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

/** Fails every refused reference; true when any was refused (then nothing may be read). */
function authorizeAll(jobs: readonly Job[], check: ReferenceCheck, fail: Fail): boolean {
  let refusedAny = false;
  for (const job of jobs) {
    for (const ref of refsOf(job.plan)) {
      const refused = check(ref);
      if (refused === undefined) continue;
      refusedAny = true;
      fail({ file: job.file, document: job.document }, job.field.path, new ConfigError(refused));
    }
  }
  return refusedAny;
}

const stopped = (ctx: Context): void => {
  if (ctx.signal?.aborted) throw new ConfigError('render: stopped (the caller is gone)');
};

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
  const limits = limitsOf(ctx.settings);
  const documents: Document[] = [];
  const jobs: Job[] = [];
  const exposed: Exposure[] = [];
  const skipped: string[] = [];
  for (const source of sources) {
    stopped(ctx);
    const read = await documentsOf(source, options, limits);
    if (read.skipped) skipped.push(source.name);
    read.docs.forEach((doc, index) => {
      documents.push(doc);
      for (const section of read.exposed?.[index] ?? [])
        exposed.push({ file: source.name, document: index, ...identify(doc), field: `${section} (SOPS)` });
      if (!truthy(annotation(doc, 'ignore'))) jobs.push(...jobsOf(doc, source.name, index, avp, fail));
    });
  }
  if (options.authorize && authorizeAll(jobs, options.authorize, fail)) throw new PlaceholderError(failures);
  stopped(ctx);
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
  stopped(ctx);
  for (const job of jobs) {
    try {
      apply(job, reads);
      if (job.unmasked && revealing(job.plan))
        exposed.push({ file: job.file, document: job.document, ...job.unmasked, field: job.field.path });
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
  return { yaml, documents: documents.length, placeholders, reads: reader.count, exposed, skipped };
}
