/**
 * Which values sops encrypts: the six mutually exclusive selection rules
 * (`unencrypted_suffix`, `encrypted_suffix`, `unencrypted_regex`, `encrypted_regex`,
 * `unencrypted_comment_regex`, `encrypted_comment_regex`), applied per value with the
 * path of map keys and the stack of comments seen above it.
 */

import { ConfigError } from '../errors.js';

export const SELECTION_FIELDS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
] as const;

export type SelectionField = (typeof SELECTION_FIELDS)[number];
export type Selection = { field: SelectionField; value: string } | null;

/** Picks the one selection rule from metadata-like fields; two or more is an error. */
export function selectionFrom(fields: Partial<Record<SelectionField, string | undefined>>, where: string): Selection {
  const set = SELECTION_FIELDS.filter((f) => typeof fields[f] === 'string' && fields[f] !== '');
  if (set.length > 1) throw new ConfigError(`${where}: only one of ${set.join(', ')} may be set`);
  const field = set[0];
  return field === undefined ? null : { field, value: fields[field] ?? '' };
}

/** Compiles a Go RE2 pattern for unanchored search; handles a leading `(?flags)` group. */
export function goRegex(pattern: string, where: string): RegExp {
  let source = pattern;
  let flags = 'u';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    for (const f of lead[1] ?? '') if (f === 'i' || f === 'm' || f === 's') flags += f;
    source = source.slice(lead[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new ConfigError(`${where}: invalid regular expression ${JSON.stringify(pattern)}`, { cause: err });
  }
}

export type Judge = (path: readonly string[], comments: readonly string[], isComment: boolean) => boolean;

/** Builds sops's `shouldBeEncrypted` for a rule (null = default `_unencrypted` suffix). */
export function makeJudge(selection: Selection): Judge {
  const rule = selection ?? { field: 'unencrypted_suffix', value: '_unencrypted' };
  const { value } = rule;
  switch (rule.field) {
    case 'unencrypted_suffix':
      return (path) => !path.some((k) => k.endsWith(value));
    case 'encrypted_suffix':
      return (path) => path.some((k) => k.endsWith(value));
    case 'unencrypted_regex': {
      const re = goRegex(value, 'unencrypted_regex');
      return (path) => !path.some((k) => re.test(k));
    }
    case 'encrypted_regex': {
      const re = goRegex(value, 'encrypted_regex');
      return (path) => path.some((k) => re.test(k));
    }
    case 'unencrypted_comment_regex': {
      const re = goRegex(value, 'unencrypted_comment_regex');
      return (_path, comments) => !comments.some((c) => re.test(c));
    }
    case 'encrypted_comment_regex': {
      const re = goRegex(value, 'encrypted_comment_regex');
      return (_path, comments, isComment) => {
        const seen = isComment ? comments.slice(0, -1) : comments;
        return seen.some((c) => re.test(c));
      };
    }
  }
}
