/**
 * Resolving the placeholders of one string value, in two steps so a render can read
 * every secret first (deduplicated, concurrently) and substitute afterwards:
 * `plan` tokenizes the value, `settle` reads what all plans need, and `substitute` builds the result
 * from the settled reads. A value that is one placeholder takes the resolved value's
 * type (a number stays a number); in longer text the pieces are joined, except that a
 * non-text result replaces the whole field, as argocd-vault-plugin does.
 */

import { backendSchemes } from '../backends/index.js';
import { KeywardError, PlaceholderSyntaxError } from '../errors.js';
import { type GenericContext, type Placeholder, type SecretRef, tokenize } from './grammar.js';
import { applyModifiers, checkModifiers } from './modifiers.js';
import { readKey, type SecretReader } from './reader.js';

/** A path or key that does not exist (remove-missing may drop the field instead of failing). */
export class MissingSecretError extends KeywardError {
  constructor(message: string) {
    super('placeholder', message);
  }
}

export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Settled reads by read key, filled by `settle`. */
export type Reads = Map<string, Settled>;

export interface Plan {
  segments: (string | Placeholder)[];
  /** Whether the value holds any placeholder. */
  active: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `key`: the exact key first, else a dotted path into nested maps. */
export function lookup(data: unknown, key: string): unknown {
  if (!isMap(data)) return undefined;
  if (key in data) return data[key];
  let value: unknown = data;
  for (const part of key.split('.')) {
    if (!isMap(value) || !(part in value)) return undefined;
    value = value[part];
  }
  return value;
}

const refText = (ref: SecretRef): string =>
  `${ref.scheme}:${ref.path}${ref.version !== undefined ? ` (version ${ref.version})` : ''}`;

/** Tokenizes `value` and checks its modifiers (before anything is read). */
export function plan(value: string, generic: GenericContext | undefined): Plan {
  const segments = tokenize(value, generic);
  const placeholders = segments.filter((s): s is Placeholder => typeof s !== 'string');
  for (const p of placeholders) checkModifiers(p.modifiers, p.text);
  return { segments, active: placeholders.length > 0 };
}

/** Reads every reference (each unique one once, concurrently) and records how each ended. */
export async function settle(reader: SecretReader, refs: readonly SecretRef[], reads: Reads): Promise<void> {
  await Promise.all(
    refs.map(async (ref) => {
      const key = readKey(ref);
      if (reads.has(key)) return;
      try {
        reads.set(key, { ok: true, value: await reader.read(ref) });
      } catch (error) {
        reads.set(key, { ok: false, error });
      }
    }),
  );
}

/** The refs of a plan, for `settle`. */
export const refsOf = (p: Plan): SecretRef[] =>
  p.segments.filter((s): s is Placeholder => typeof s !== 'string').map((s) => s.ref);

function resolvedValue(p: Placeholder, reads: Reads): unknown {
  const read = reads.get(readKey(p.ref));
  if (!read) throw new PlaceholderSyntaxError(`${p.text}: was not read`);
  if (!read.ok) throw read.error;
  if (read.value === undefined || read.value === null) {
    throw new MissingSecretError(`${p.text}: ${refText(p.ref)} does not exist`);
  }
  const value = p.ref.key === undefined ? read.value : lookup(read.value, p.ref.key);
  if (value === undefined) throw new MissingSecretError(`${p.text}: no key ${p.ref.key} in ${refText(p.ref)}`);
  return applyModifiers(value, p.modifiers);
}

/** The field's new value from the settled reads. */
export function substitute(p: Plan, reads: Reads): unknown {
  const [first] = p.segments;
  if (p.segments.length === 1 && first !== undefined && typeof first !== 'string') return resolvedValue(first, reads);
  const parts = p.segments.map((s) => (typeof s === 'string' ? s : resolvedValue(s, reads)));
  const typed = parts.find((v) => typeof v !== 'string');
  return typed !== undefined ? typed : parts.join('');
}

/* Checking a text's placeholders without reading anything (the webhook does it at admission). */

export interface PlaceholderCheck {
  /** How many placeholders the text holds. */
  count: number;
  /** What is wrong, or undefined; it may quote a placeholder, never the text around it. */
  problem?: string;
}

/** The text's placeholders checked; `problem` names the first fault. */
export function checkPlaceholderText(text: string): PlaceholderCheck {
  try {
    const p = plan(text, undefined);
    const placeholders = p.segments.filter((s): s is Placeholder => typeof s !== 'string');
    for (const ph of placeholders) {
      if (!backendSchemes.includes(ph.ref.scheme)) {
        throw new PlaceholderSyntaxError(`unknown backend ${ph.ref.scheme} (${backendSchemes.join(', ')})`);
      }
    }
    return { count: placeholders.length };
  } catch (err) {
    const message = err instanceof PlaceholderSyntaxError ? err.message : 'not a valid placeholder';
    return { count: 0, problem: message };
  }
}
