/**
 * One-line quoted YAML scalars for the fast reader (yaml-fast.ts): `'…'` with `''`
 * for a quote, and `"…"` with YAML's escapes. Anything it is not sure of (a quote
 * that does not close on its line, an unknown escape, a lone surrogate) gives
 * undefined, and the full reader takes the file.
 */

const SIMPLE_ESCAPES = new Map<string, string>(
  Object.entries({
    '0': '\u0000',
    a: '\u0007',
    b: '\b',
    t: '\t',
    n: '\n',
    v: '\u000b',
    f: '\f',
    r: '\r',
    e: '\u001b',
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    N: '\u0085',
    _: '\u00a0',
    L: '\u2028',
    P: '\u2029',
  }),
);
const HEX_LENGTH = new Map([
  ['x', 2],
  ['u', 4],
  ['U', 8],
]);

export interface Quoted {
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

function single(text: string): Quoted | undefined {
  let value = '';
  let from = 1;
  for (;;) {
    const at = text.indexOf("'", from);
    if (at === -1) return undefined;
    value += text.slice(from, at);
    if (text.charAt(at + 1) !== "'") return { value, end: at + 1 };
    value += "'";
    from = at + 2;
  }
}

/** A `\x`, `\u` or `\U` escape at `at` (the backslash): the character and the escape's length. */
function hexEscape(text: string, at: number, size: number): [string, number] | undefined {
  const digits = text.slice(at + 2, at + 2 + size);
  if (digits.length !== size || !/^[0-9A-Fa-f]+$/.test(digits)) return undefined;
  const code = Number.parseInt(digits, 16);
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return [String.fromCodePoint(code), size + 2];
}

function double(text: string): Quoted | undefined {
  let value = '';
  let from = 1;
  for (let i = 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '"') return { value: value + text.slice(from, i), end: i + 1 };
    if (c !== '\\') continue;
    value += text.slice(from, i);
    const kind = text.charAt(i + 1);
    const simple = SIMPLE_ESCAPES.get(kind);
    const size = HEX_LENGTH.get(kind);
    let length = 2;
    if (simple !== undefined) value += simple;
    else if (size !== undefined) {
      const hex = hexEscape(text, i, size);
      if (hex === undefined) return undefined;
      value += hex[0];
      length = hex[1];
    } else return undefined;
    i += length - 1;
    from = i + 1;
  }
  return undefined;
}

/** Reads the quoted scalar that `text` starts with. */
export function readQuoted(text: string): Quoted | undefined {
  return text.startsWith("'") ? single(text) : double(text);
}
