/**
 * Scalars for the fast YAML reader (yaml-fast.ts): one-line quoted scalars (`'…'`
 * with `''` for a quote, `"…"` with YAML's escapes) and literal blocks (`|`, `|-`,
 * `|+`). Anything they are not sure of (a quote that does not close on its line, an
 * unknown escape, a lone surrogate, an indentation hint, a blank line holding spaces)
 * gives undefined, and the full reader takes the file.
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

/** Leading ASCII spaces (YAML's only indentation; String#trim would also take NBSP and other spaces). */
export function spaces(line: string, from = 0): number {
  let n = from;
  while (line.charCodeAt(n) === 0x20) n++;
  return n - from;
}

/**
 * The literal block whose header is `header` and whose lines start at `lines[start]`,
 * indented more than `above`; `next` is the first line after it.
 */
export function readLiteral(
  lines: readonly string[],
  start: number,
  header: string,
  above: number,
): { value: string; next: number } | undefined {
  if (header !== '|' && header !== '|-' && header !== '|+') return undefined;
  const body: string[] = [];
  let indent = -1;
  let widestBlank = 0;
  let at = start;
  for (; at < lines.length; at++) {
    const line = lines[at] as string;
    const lead = spaces(line);
    if (lead === line.length) {
      // a blank line longer than the block's indentation holds spaces as text: left to the full reader
      if (indent !== -1 && lead > indent) return undefined;
      widestBlank = Math.max(widestBlank, lead);
      body.push('');
      continue;
    }
    if (indent === -1) {
      if (lead <= above || widestBlank > lead) return undefined;
      indent = lead;
    }
    if (lead < indent) break;
    body.push(line.slice(indent));
  }
  if (indent === -1) return undefined;
  let last = body.length;
  while (last > 0 && body[last - 1] === '') last--;
  const text = body.slice(0, last).join('\n');
  const value = header === '|-' ? text : header === '|' ? `${text}\n` : `${text}\n${'\n'.repeat(body.length - last)}`;
  return { value, next: at };
}
