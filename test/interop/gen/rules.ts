/**
 * sops selection rules for generated cases (which keys or comments get
 * encrypted, `--mac-only-encrypted`), key decoration and comment text that give
 * the rules something to match, and the types of a generated case.
 */

import { type Rng, randText } from './rng.js';

// ---------------------------------------------------------------------------
// Selection rules

export type RuleName =
  | 'default'
  | 'unencrypted_suffix'
  | 'encrypted_suffix'
  | 'unencrypted_regex'
  | 'encrypted_regex'
  | 'unencrypted_comment_regex'
  | 'encrypted_comment_regex';

export const RULES: Record<Exclude<RuleName, 'default'>, { flag: string; value: string }> = {
  unencrypted_suffix: { flag: '--unencrypted-suffix', value: '_plain' },
  encrypted_suffix: { flag: '--encrypted-suffix', value: '_secret' },
  unencrypted_regex: { flag: '--unencrypted-regex', value: '^pub_' },
  encrypted_regex: { flag: '--encrypted-regex', value: '^sec_|^pw$' },
  unencrypted_comment_regex: { flag: '--unencrypted-comment-regex', value: '@plain' },
  encrypted_comment_regex: { flag: '--encrypted-comment-regex', value: '@secret' },
};

/** The six rules, in the order the generator picks from. */
export const RULE_NAMES = Object.keys(RULES) as Exclude<RuleName, 'default'>[];

export interface Selection {
  rule: RuleName;
  macOnly: boolean;
}

export function selectionFlags(sel: Selection): string[] {
  const flags = sel.rule === 'default' ? [] : [RULES[sel.rule].flag, RULES[sel.rule].value];
  if (sel.macOnly) flags.push('--mac-only-encrypted');
  return flags;
}

export function randSelection(rng: Rng): Selection {
  const rule: RuleName = rng.chance(0.3) ? 'default' : rng.pick(RULE_NAMES);
  return { rule, macOnly: rng.chance(0.3) };
}

/** Decorates a key so that the selection rules have something to match. */
export function decorate(rng: Rng, base: string): string {
  const r = rng.next();
  if (r < 0.12) return `${base}_unencrypted`;
  if (r < 0.22) return `${base}_plain`;
  if (r < 0.32) return `${base}_secret`;
  if (r < 0.42) return `pub_${base}`;
  if (r < 0.52) return `sec_${base}`;
  if (r < 0.55) return 'pw';
  return base;
}

export function commentText(rng: Rng): string {
  const marker = rng.chance(0.35) ? rng.pick([' @plain', ' @secret']) : '';
  if (rng.chance(0.05)) return marker.trim();
  const body = randText(rng, { max: 24, punct: ' !$%&()*+,-./:;<=>?@^_{|}~' }).replace(/\s+$/u, '');
  return `${rng.chance(0.8) ? ' ' : ''}${body}${marker}`.replace(/\s+$/u, '');
}

// ---------------------------------------------------------------------------
// Cases

export type FormatName = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

export interface SetTarget {
  /** sops tree path, e.g. `["a"][0]["b"]`. */
  path: string;
  /** the JSON text given to `set`. */
  json: string;
  /** the whole expected data after the set. */
  expected: string;
  /** for binary: the expected bytes after the set. */
  bytes?: Buffer;
}

export interface Case {
  format: FormatName;
  index: number;
  seed: number;
  selection: Selection;
  plain: Buffer;
  /** canonical expected data; for binary, empty (compare `plain`). */
  expected: string;
  set?: SetTarget;
  features: string[];
}
