/**
 * JSON writer for the JSON store, byte-compatible with sops: values encoded as Go's
 * json.Marshal does (HTML-safe string escapes, Go float format), laid out as
 * json.Indent lays it out (one tab per level by default, `"key": value`, `{}`/`[]`
 * for empty containers). Comments are dropped: JSON has none.
 */

import { FormatError } from '../../errors.js';
import type { MapEntry, MapNode, Node } from '../tree.js';
import { formatFloat } from '../values.js';
import { decodeUtf8Go } from './json-parse.js';

export interface JsonEmitOptions {
  /** -1 or undefined: one tab per level; 0: newlines without indentation; n: n spaces. */
  indent?: number;
}

/** Characters json.Marshal escapes, and lone surrogates (invalid UTF-8 to Go). */
const ESCAPED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be escaped
  /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeChar(c: string): string {
  const short = SHORT[c];
  if (short !== undefined) return short;
  const code = c.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A string as Go's json.Marshal writes it. */
export function quoteJson(s: string): string {
  return `"${s.replace(ESCAPED, escapeChar)}"`;
}

/** Raw bytes as Go's json.Marshal writes a string holding them: each invalid byte as `\ufffd`. */
export function quoteJsonBytes(bytes: Uint8Array): string {
  // A lone high surrogate marks each invalid byte; quoteJson turns it into `\ufffd`.
  return quoteJson(decodeUtf8Go(bytes, '\ud800'));
}

/** A float64 as Go's encoding/json writes it: plain decimal, exponent form below 1e-6 and from 1e21. */
export function formatJsonFloat(v: number): string {
  if (!Number.isFinite(v)) throw new FormatError('json: NaN and infinite numbers cannot be written as JSON');
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return v.toExponential();
  return formatFloat(v);
}

function indentUnit(indent: number | undefined): string {
  if (indent === undefined || indent === -1) return '\t';
  if (!Number.isInteger(indent) || indent < -1) throw new FormatError('json: indentation must be -1 or more');
  return ' '.repeat(indent);
}

const isEntry = (item: MapEntry | Node): item is MapEntry => !('t' in item);

class Writer {
  readonly out: string[] = [];
  constructor(private readonly unit: string) {}

  node(node: Node, pad: string): void {
    switch (node.t) {
      case 'map': {
        const entries = node.items.filter(isEntry);
        this.container('{', '}', entries, pad, (entry, inner) => {
          this.out.push(quoteJson(entry.key), ': ');
          this.node(entry.value, inner);
        });
        return;
      }
      case 'seq': {
        const items = node.items.filter((item) => item.t !== 'comment');
        this.container('[', ']', items, pad, (item, inner) => this.node(item, inner));
        return;
      }
      case 'comment':
        throw new FormatError('json: a comment cannot be written as a value');
      default:
        this.out.push(scalarJson(node));
    }
  }

  container<T>(open: string, close: string, items: T[], pad: string, each: (item: T, inner: string) => void): void {
    if (items.length === 0) {
      this.out.push(open, close);
      return;
    }
    const inner = pad + this.unit;
    this.out.push(open);
    items.forEach((item, i) => {
      this.out.push(i === 0 ? '\n' : ',\n', inner);
      each(item, inner);
    });
    this.out.push('\n', pad, close);
  }
}

function scalarJson(node: Exclude<Node, { t: 'map' | 'seq' | 'comment' }>): string {
  switch (node.t) {
    case 'null':
      return 'null';
    case 'bool':
      return node.v ? 'true' : 'false';
    case 'int':
      return node.v.toString();
    case 'float':
      return formatJsonFloat(node.v);
    case 'bytes':
      return quoteJsonBytes(node.v);
    case 'str':
    case 'time':
      return quoteJson(node.v);
  }
}

function emit(node: Node, options: JsonEmitOptions): string {
  const writer = new Writer(indentUnit(options.indent));
  writer.node(node, '');
  return writer.out.join('');
}

/** A document (the top-level object) followed by a newline. */
export function emitJsonDocument(doc: MapNode, options: JsonEmitOptions = {}): string {
  return `${emit(doc, options)}\n`;
}

/**
 * One value for `decrypt --extract`, as sops writes it: a map as a document (with a
 * trailing newline), anything else as its bare JSON text without a newline.
 */
export function emitJsonValue(node: Node, options: JsonEmitOptions = {}): string {
  return node.t === 'map' ? emitJsonDocument(node, options) : emit(node, options);
}
