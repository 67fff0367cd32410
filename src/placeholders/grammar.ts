/**
 * The placeholder grammar, read by a tokenizer rather than catch-all regexes:
 *
 *   <scheme:path#key[#version] [| modifier [args]]…>     scheme: vault, sops, k8s, env, memory
 *   <path:P#K[#V] …>                                      argocd-vault-plugin's form (the vault backend, raw path)
 *   <key [| modifier …]>                                  AVP's generic form, only when a path annotation is set
 *
 * A placeholder lies on one line; `|` separates modifiers; inside `{…}` (a jsonPath
 * expression) neither `|` nor `>` ends anything. Text such as `<none>` or `<b>` is
 * left alone unless the generic form is active. The key and version are trimmed; so
 * is the path, except in AVP's form, where it is kept as written (as AVP does).
 */

import { PlaceholderSyntaxError } from '../errors.js';

export const SCHEMES = ['vault', 'sops', 'k8s', 'env', 'memory'] as const;
const SCHEME_SET: ReadonlySet<string> = new Set([...SCHEMES, 'path']);

export interface SecretRef {
  /** Backend scheme (`path` from AVP's form becomes `vault`). */
  scheme: string;
  path: string;
  /** Absent for a whole secret, or for `<env:NAME>`. */
  key?: string;
  version?: string;
  /** From the manifest's `kv-version` annotation (vault only). */
  kvVersion?: 1 | 2;
  /** Written in argocd-vault-plugin's syntax (`<path:…>`, generic `<key>`): read as AVP reads it. */
  avp?: true;
}

export interface ModifierCall {
  name: string;
  /** The text after the name, trimmed (jsonPath keeps its spaces). */
  argument: string;
}

export interface Placeholder {
  /** The placeholder as written, `<` to `>`. */
  text: string;
  ref: SecretRef;
  modifiers: ModifierCall[];
}

export type Segment = string | Placeholder;

export interface GenericContext {
  /** The secret generic `<key>` placeholders read (from the path annotation). */
  scheme: string;
  path: string;
  version?: string;
}

/**
 * Tracks `{…}` (a jsonPath template) in a placeholder: a function that, fed each
 * character in turn, says whether it lies inside braces. Braces nest, and quoted text
 * inside them is literal, so `{'{"a":'}` holds one brace pair.
 */
function braces(): (c: string | undefined) => boolean {
  let depth = 0;
  let quote = '';
  return (c) => {
    if (quote) {
      if (c === quote) quote = '';
      return true;
    }
    if (c === '{') depth++;
    else if (depth === 0) return false;
    else if (c === '}') depth--;
    else if (c === "'" || c === '"') quote = c;
    return true;
  };
}

/**
 * Characters the tokenizer may look at per character of a value (plus a fixed allowance).
 * Text with many `<` followed by `{` would otherwise be scanned from each `<` to the end of
 * its line (quadratic); past this budget the value is refused instead.
 */
const SCAN_PER_CHAR = 8;
const SCAN_ALLOWANCE = 4096;

/** The index of the `>` closing the placeholder opened at `start`, or -1; spends `budget`. */
function closing(value: string, start: number, budget: { left: number }): number {
  const inside = braces();
  for (let i = start + 1; i < value.length; i++) {
    if (--budget.left < 0) {
      throw new PlaceholderSyntaxError(
        `a value of ${value.length} characters has too many '<' before '{' to look for placeholders in`,
      );
    }
    const c = value[i];
    if (c === '\n' || c === '\r') return -1;
    if (inside(c)) continue;
    if (c === '>') return i;
    if (c === '<') return -1;
  }
  return -1;
}

/** Splits on `|` outside braces. */
function pipes(body: string): string[] {
  const parts: string[] = [];
  const inside = braces();
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    if (inside(body[i]) || body[i] !== '|') continue;
    parts.push(body.slice(from, i));
    from = i + 1;
  }
  parts.push(body.slice(from));
  return parts;
}

function modifierOf(part: string, text: string): ModifierCall {
  const trimmed = part.trim();
  const match = /^([A-Za-z][A-Za-z0-9]*)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (!match?.[1]) throw new PlaceholderSyntaxError(`${text}: ${JSON.stringify(trimmed)} is not a modifier`);
  return { name: match[1], argument: (match[2] ?? '').trim() };
}

/** `path#key[#version]` of a scheme placeholder. */
function refOf(scheme: string, rest: string, text: string): SecretRef {
  const avp = scheme === 'path';
  const parts = rest.split('#');
  if (parts.length > 3) throw new PlaceholderSyntaxError(`${text}: too many '#' (path#key#version)`);
  const [rawPath = '', rawKey, rawVersion] = parts;
  const path = avp ? rawPath : rawPath.trim();
  if (path.trim() === '') throw new PlaceholderSyntaxError(`${text}: the path is empty`);
  const key = rawKey?.trim();
  const version = rawVersion?.trim();
  if (avp && !key) throw new PlaceholderSyntaxError(`${text}: <path:…> needs a key (path#key)`);
  if (key === '' || version === '') throw new PlaceholderSyntaxError(`${text}: an empty key or version`);
  return {
    scheme: avp ? 'vault' : scheme,
    path,
    ...(key !== undefined ? { key } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(avp ? { avp: true as const } : {}),
  };
}

const GENERIC_KEY = /^[A-Za-z0-9_.\-/]+$/;

/** The placeholder `<…>` at `text`, or undefined when this `<…>` is not one. */
function placeholderOf(text: string, generic: GenericContext | undefined): Placeholder | undefined {
  const [head = '', ...mods] = pipes(text.slice(1, -1));
  const colon = head.indexOf(':');
  const scheme = colon > 0 ? head.slice(0, colon).trim() : '';
  let ref: SecretRef;
  if (SCHEME_SET.has(scheme)) ref = refOf(scheme, head.slice(colon + 1), text);
  else if (generic && GENERIC_KEY.test(head.trim())) {
    ref = { scheme: generic.scheme, path: generic.path, key: head.trim(), avp: true };
    if (generic.version !== undefined) ref.version = generic.version;
  } else return undefined;
  return { text, ref, modifiers: mods.map((m) => modifierOf(m, text)) };
}

/** Splits a string value into literal text and placeholders. */
export function tokenize(value: string, generic?: GenericContext): Segment[] {
  const segments: Segment[] = [];
  let literal = '';
  let i = 0;
  const budget = { left: SCAN_PER_CHAR * value.length + SCAN_ALLOWANCE };
  const schemeAt = /\s*([a-z0-9]+):/y;
  while (i < value.length) {
    const open = value.indexOf('<', i);
    if (open === -1) break;
    const close = closing(value, open, budget);
    const found = close === -1 ? undefined : placeholderOf(value.slice(open, close + 1), generic);
    if (!found) {
      schemeAt.lastIndex = open + 1;
      if (close === -1 && SCHEME_SET.has(schemeAt.exec(value)?.[1] ?? '')) {
        throw new PlaceholderSyntaxError(`${value.slice(open, open + 40)}…: the placeholder has no closing '>'`);
      }
      literal += value.slice(i, open + 1);
      i = open + 1;
      continue;
    }
    literal += value.slice(i, open);
    if (literal !== '') segments.push(literal);
    literal = '';
    segments.push(found);
    i = close + 1;
  }
  literal += value.slice(i);
  if (literal !== '') segments.push(literal);
  return segments;
}

/** Whether a string holds any placeholder. */
export const hasPlaceholder = (value: string, generic?: GenericContext): boolean =>
  tokenize(value, generic).some((s) => typeof s !== 'string');
