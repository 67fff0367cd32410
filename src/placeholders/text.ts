/**
 * Resolving named texts rather than manifests: the in-pod agent's secret templates
 * (`password=<vault:secret/app#password>`) and the env launcher's variables. Every
 * text is planned first, every unique secret is read once (concurrently), then each
 * text is rebuilt. A placeholder whose value is not text (a whole secret
 * `<vault:secret/app>` gives a map, a number stays a number) is written as JSON, also
 * inside a longer text. Any failure fails the whole call with every entry that failed
 * by name, never with a value (fail closed).
 */

import { PlaceholderError, type PlaceholderFailure } from '../errors.js';
import type { BackendHelpers, Context } from '../types.js';
import { tokenize } from './grammar.js';
import { type ReaderOptions, SecretReader } from './reader.js';
import { type Plan, plan, type Reads, refsOf, settle, substitute } from './resolve.js';

export interface TextOptions extends ReaderOptions {
  /** What the names are, for failures (`secret`, `env`; default `text`): `env, DB_PASSWORD: …`. */
  label?: string;
}

export interface TextResult {
  /** Every text by its name, resolved (texts without placeholders unchanged). */
  values: Record<string, string>;
  /** Distinct backend reads. */
  reads: number;
}

/** The text form of a resolved value: text as it is, anything else as JSON. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** The plan's text: each placeholder's value in place, as text. */
function rebuild(p: Plan, reads: Reads): string {
  return p.segments
    .map((s) => (typeof s === 'string' ? s : asText(substitute({ segments: [s], active: true }, reads))))
    .join('');
}

/** The backend schemes the texts' placeholders name (texts that do not parse are skipped). */
export function schemesOf(texts: Iterable<string>): string[] {
  const schemes = new Set<string>();
  for (const text of texts) {
    try {
      for (const s of tokenize(text)) if (typeof s !== 'string') schemes.add(s.ref.scheme);
    } catch {
      // resolveTexts reports it
    }
  }
  return [...schemes].sort();
}

/** Resolves the placeholders of every text; throws one PlaceholderError naming each text that failed. */
export async function resolveTexts(
  texts: Readonly<Record<string, string>>,
  ctx: Context,
  helpers: BackendHelpers,
  options: TextOptions = {},
): Promise<TextResult> {
  const label = options.label ?? 'text';
  const failures: PlaceholderFailure[] = [];
  const fail = (name: string, err: unknown) =>
    failures.push({ file: label, field: name, message: err instanceof Error ? err.message : 'failed' });
  const plans = new Map<string, Plan>();
  for (const [name, text] of Object.entries(texts)) {
    try {
      plans.set(name, plan(text, undefined));
    } catch (err) {
      fail(name, err);
    }
  }
  const reader = new SecretReader(ctx, helpers, options);
  const reads: Reads = new Map();
  try {
    await settle(
      reader,
      [...plans.values()].flatMap((p) => refsOf(p)),
      reads,
    );
  } finally {
    await reader.close();
  }
  const values = Object.create(null) as Record<string, string>;
  for (const [name, p] of plans) {
    try {
      values[name] = p.active ? rebuild(p, reads) : (texts[name] ?? '');
    } catch (err) {
      fail(name, err);
    }
  }
  if (failures.length > 0) throw new PlaceholderError(failures);
  return { values, reads: reader.count };
}
