/**
 * JSON reader for the JSON store. JSON.parse cannot be used: it reorders
 * integer-like keys and drops duplicates. This reader keeps both, types numbers as
 * sops 3.13.2 does (int64 literals → int, the rest → float), decodes text the way Go
 * does (every byte of invalid UTF-8 and every lone surrogate becomes U+FFFD) and
 * never puts input text into its error messages.
 */

import { FormatError } from '../../errors.js';
import type { MapEntry, MapNode, Node, SeqNode } from '../tree.js';

/** Deepest nesting of objects and arrays accepted (the top-level object is level 1). */
export const MAX_DEPTH = 256;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SHORT_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Length of the valid UTF-8 sequence at `i` (Go's accept ranges), or 0 when it is invalid. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] ?? 0;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Decodes UTF-8 like Go: each byte of an invalid sequence becomes `replacement`; a BOM is kept. */
export function decodeUtf8Go(bytes: Uint8Array, replacement = '\ufffd'): string {
  try {
    return strict.decode(bytes);
  } catch {
    // invalid UTF-8: decode the valid runs and replace every bad byte
  }
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const size = sequenceLength(bytes, i);
    if (size > 0) {
      i += size;
      continue;
    }
    parts.push(strict.decode(bytes.subarray(start, i)), replacement);
    i += 1;
    start = i;
  }
  parts.push(strict.decode(bytes.subarray(start)));
  return parts.join('');
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string, at = this.pos): never {
    if (at >= this.text.length) throw new FormatError(`json: unexpected end of input (${what})`);
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < at; i = this.text.indexOf('\n', i + 1)) {
      line += 1;
      lineStart = i + 1;
    }
    throw new FormatError(`json: ${what} at line ${line}, column ${at - lineStart + 1}`);
  }

  skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos += 1;
    }
  }

  document(): MapNode {
    this.skipSpace();
    if (this.pos >= this.text.length) throw new FormatError('json: the input is empty');
    if (this.text[this.pos] !== '{') throw new FormatError('json: the top level must be an object');
    const doc = this.object(1);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected data after the top-level object');
    return doc;
  }

  value(depth: number): Node {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') return { t: 'str', v: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, node] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { ...node };
      }
    }
    return this.fail('expected a value');
  }

  object(depth: number): MapNode {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.pos += 1;
    const items: MapEntry[] = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return { t: 'map', items };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected a colon after an object key');
      this.pos += 1;
      items.push({ key, value: this.value(depth) });
      if (this.endOfList('}')) return { t: 'map', items };
    }
  }

  array(depth: number): SeqNode {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.pos += 1;
    const items: Node[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos += 1;
      return { t: 'seq', items };
    }
    for (;;) {
      items.push(this.value(depth));
      if (this.endOfList(']')) return { t: 'seq', items };
    }
  }

  /** After a member: true at the closing bracket, false after a comma. */
  endOfList(close: string): boolean {
    this.skipSpace();
    const c = this.text[this.pos];
    this.pos += 1;
    if (c === close) return true;
    if (c === ',') return false;
    return this.fail(`expected a comma or ${close}`, this.pos - 1);
  }

  string(): string {
    this.pos += 1;
    const parts: string[] = [];
    for (;;) {
      PLAIN_RUN.lastIndex = this.pos;
      PLAIN_RUN.test(this.text);
      parts.push(this.text.slice(this.pos, PLAIN_RUN.lastIndex));
      this.pos = PLAIN_RUN.lastIndex;
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos += 1;
        return parts.join('');
      }
      if (c === undefined) this.fail('unterminated string');
      if (c !== '\\') this.fail('control character in a string');
      parts.push(this.escape());
    }
  }

  hex4(at: number): number | undefined {
    const digits = this.text.slice(at, at + 4);
    return HEX4.test(digits) ? Number.parseInt(digits, 16) : undefined;
  }

  escape(): string {
    const c = this.text[this.pos + 1] ?? '';
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) {
      this.pos += 2;
      return short;
    }
    const unit = c === 'u' ? this.hex4(this.pos + 2) : undefined;
    if (unit === undefined) return this.fail('invalid escape in a string');
    this.pos += 6;
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    const low = this.text.startsWith('\\u', this.pos) ? this.hex4(this.pos + 2) : undefined;
    if (unit <= 0xdbff && low !== undefined && low >= 0xdc00 && low <= 0xdfff) {
      this.pos += 6;
      return String.fromCharCode(unit, low);
    }
    return '\ufffd';
  }

  number(): Node {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail('invalid number');
    const start = this.pos;
    const literal = match[0];
    this.pos += literal.length;
    if (match[1] === undefined && match[2] === undefined && literal.length <= 20) {
      const v = BigInt(literal);
      if (v >= INT64_MIN && v <= INT64_MAX) return { t: 'int', v };
    }
    const v = Number(literal);
    if (!Number.isFinite(v)) this.fail('number out of range', start);
    return { t: 'float', v };
  }
}

/** Parses a JSON file whose top level must be an object. Throws FormatError for bad input. */
export function parseJson(input: Uint8Array | string): MapNode {
  return new Parser(typeof input === 'string' ? input : decodeUtf8Go(input)).document();
}
