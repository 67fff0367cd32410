/**
 * YAML scalar typing as Go yaml.v3 resolves plain scalars into interface{} (which
 * decides sops's `type:` tags and MAC bytes), and the reverse: which strings must be
 * quoted so that yaml.v3 reads them back as strings.
 */

import type { Scalar } from '../tree.js';

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const SPECIAL_FLOATS = new Map<string, number>([
  ['.nan', Number.NaN],
  ['.NaN', Number.NaN],
  ['.NAN', Number.NaN],
  ['.inf', Infinity],
  ['.Inf', Infinity],
  ['.INF', Infinity],
  ['+.inf', Infinity],
  ['+.Inf', Infinity],
  ['+.INF', Infinity],
  ['-.inf', -Infinity],
  ['-.Inf', -Infinity],
  ['-.INF', -Infinity],
]);
/** YAML 1.1 booleans that yaml.v3 reads as strings but quotes on output for older readers. */
const YAML11_WORDS = new Set('y Y yes Yes YES n N no No NO on On ON off Off OFF'.split(' '));
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go `strconv.ParseInt(s, 0, 64)` (underscores already removed). */
function goParseInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const [, sign, body = ''] = m;
  let v: bigint;
  if (/^0[oO]/.test(body)) v = BigInt(`0o${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (sign === '-') v = -v;
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** yaml.v3 timestamps (unquoted only) → RFC3339Nano text as Go's time.MarshalText writes it. */
export function resolveTimestamp(s: string): string | undefined {
  if (!/^\d{4}-/.test(s)) return undefined;
  const m =
    /^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})(?:(?:[Tt]|(?<sp> ))(?<h>\d{1,2}):(?<mi>\d{1,2}):(?<sec>\d{1,2})(?:\.(?<frac>\d{1,9}))?(?<z>Z|[+-]\d{2}:\d{2})?)?$/.exec(
      s,
    );
  if (!m?.groups) return undefined;
  const { y = '', mo = '', d = '', h, mi, sec, frac, sp, z: zone } = m.groups;
  const hasTime = h !== undefined;
  if (hasTime && (sp === undefined) === (zone === undefined)) return undefined;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(y), month)) return undefined;
  const pad = (v: string | undefined) => (v ?? '0').padStart(2, '0');
  if (hasTime && (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59)) return undefined;
  const fraction = (frac ?? '').replace(/0+$/, '');
  const offset = zone === undefined || zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(sec)}${fraction ? `.${fraction}` : ''}${offset}`;
}

/** Resolves an unquoted, untagged YAML scalar as yaml.v3 does. */
export function resolvePlain(s: string): Scalar {
  if (NULLS.has(s)) return { t: 'null' };
  if (TRUES.has(s)) return { t: 'bool', v: true };
  if (FALSES.has(s)) return { t: 'bool', v: false };
  const special = SPECIAL_FLOATS.get(s);
  if (special !== undefined) return { t: 'float', v: special };
  const c = s.charAt(0);
  if (c === '.') {
    return /^\.\d+([eE][-+]?\d+)?$/.test(s) ? { t: 'float', v: Number(s) } : { t: 'str', v: s };
  }
  if (!/^[-+0-9]/.test(s)) return { t: 'str', v: s };
  const time = resolveTimestamp(s);
  if (time !== undefined) return { t: 'time', v: time };
  const plain = s.replaceAll('_', '');
  const int = goParseInt(plain);
  if (int !== undefined) return { t: 'int', v: int };
  if (YAML_FLOAT.test(plain)) return { t: 'float', v: Number(plain) };
  return { t: 'str', v: s };
}

/** Characters yaml.v3 finds unprintable (C0/C1 controls, line separators, BOM, U+FFFE/F, astral). `\n` counts unless allowed. */
export function hasSpecialChar(s: string, newlines: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a) {
      if (newlines) return true;
      continue;
    }
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
    if (c === 0xfeff || c === 0xfffe || c === 0xffff) return true;
    // yaml.v3 treats characters outside the Basic Multilingual Plane as unprintable (it writes \U escapes)
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** YAML 1.1 sexagesimal numbers (`1:20`), which yaml.v3 quotes for older readers. */
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

export type QuoteStyle = 'plain' | 'single' | 'double';

/**
 * How yaml.v3 writes a one-line string: double quotes when plain text would read
 * back as another type or when it holds special characters, single quotes when
 * only YAML syntax (indicators, `: `, ` #`, edge spaces) rules out plain text.
 */
export function quoteStyle(s: string): QuoteStyle {
  if (resolvePlain(s).t !== 'str' || YAML11_WORDS.has(s) || BASE60_FLOAT.test(s)) return 'double';
  if (hasSpecialChar(s, true) || s.includes('\t')) return 'double';
  if (s === '' || s.startsWith(' ') || s.endsWith(' ')) return 'single';
  if (/^[,[\]{}#&*!|>'"%@`]/.test(s)) return 'single';
  if (/^[-?:]( |$)/.test(s) || s.startsWith('---') || s.startsWith('...')) return 'single';
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return 'single';
  return 'plain';
}

/** True when a string can be written as a plain YAML scalar and read back as the same string. */
export function canBePlain(s: string): boolean {
  return quoteStyle(s) === 'plain';
}

const ESCAPES: Readonly<Record<number, string>> = {
  0: '\\0',
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  27: '\\e',
  34: '\\"',
  92: '\\\\',
  133: '\\N',
  8232: '\\L',
  8233: '\\P',
};

/** yaml.v3's escape of a character it does not write as itself: a short escape, else \x, \u or \U. */
function escapeOf(c: number): string {
  const short = c === 0xa0 ? '\\_' : ESCAPES[c];
  if (short !== undefined) return short;
  const hex = c.toString(16).toUpperCase();
  if (c <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  return c <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
}

/**
 * A YAML double-quoted scalar with yaml.v3's escapes. yaml.v3 tests for a byte order
 * mark at the start of the string instead of at each character, so a string that
 * starts with U+FEFF has every character escaped (`"\uFEFF\x68\x69"`); sops prints that.
 */
export function doubleQuoted(s: string): string {
  const everything = s.startsWith('\uFEFF');
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const unprintable = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfeff || c === 0xfffe || c === 0xffff;
    out += everything || unprintable || c > 0xffff || ESCAPES[c] !== undefined ? escapeOf(c) : ch;
  }
  return `${out}"`;
}

/** A one-line string as yaml.v3 writes it. */
export function yamlString(s: string): string {
  const style = quoteStyle(s);
  if (style === 'plain') return s;
  if (style === 'single') return `'${s.replaceAll("'", "''")}'`;
  return doubleQuoted(s);
}

/** Go `strconv.FormatFloat(v, 'g', -1, 64)` with yaml.v3's `.inf`/`.nan` words. */
export function formatYamlFloat(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  if (Object.is(v, -0)) return '-0';
  const [mant = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  const sign = mant.startsWith('-') ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 6) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${body}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (exp + 1 >= digits.length) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
