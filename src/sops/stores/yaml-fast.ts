/**
 * A fast reader for the plain shape most sops files have: block mappings and lists,
 * one-line plain and quoted scalars, literal blocks (`|`, `|-`, `|+`), `[]` and `{}`,
 * blank lines, comment lines at the column of the item they precede, and same-line
 * comments after one-line values. It reads such a file to exactly the tree the full
 * reader (yaml.ts, on the yaml library) gives, in a fraction of the start-up time;
 * anything else — other comments, anchors, tags, flow collections, folded or multi-line
 * scalars, several documents, an error — makes it give up, and the full reader runs.
 */

import type { CommentNode, MapNode, Node, SeqNode } from '../tree.js';
import { readLiteral, readQuoted, spaces } from './yaml-fast-scalars.js';
import { resolvePlain } from './yaml-scalars.js';

/** Thrown to leave the fast reader; never escapes this module. */
class GiveUp {}
const GIVE_UP = new GiveUp();
const giveUp = (): never => {
  throw GIVE_UP;
};

/** Characters the fast reader leaves to the full one: controls, tabs, CR, NEL, LS/PS, BOM, non-characters. */
const UNUSUAL_CHAR = /[^\n -~\u00a0-\u2027\u202a-\ufefe\uff00-\ufffd\ud800-\udfff]/;
/** Document markers and directives. */
const UNUSUAL_LINE = /^(?:---|\.\.\.|%)/m;
/** First characters a plain scalar or key cannot start with here. */
const INDICATORS = new Set([...'&*!|>\'"%@`{}[],#?:-']);
const MAX_DEPTH = 200;
const MAX_KEY = 1000;

const isSeqLine = (text: string): boolean => text === '-' || text.startsWith('- ');
const skipSpaces = (text: string, from: number): string => text.slice(from + spaces(text, from));

/** What comes next: the comment lines before the next content line, that line's indentation (-1 at the end) and index. */
interface Ahead {
  comments: CommentNode[];
  indent: number;
  at: number;
}

class FastReader {
  private i = 0;
  private readonly lines: string[];
  private sameLine: CommentNode | undefined;

  constructor(source: string) {
    this.lines = source.split('\n');
    this.lines.pop(); // the source ends with a line break
  }

  document(): MapNode {
    const ahead = this.ahead();
    const line = this.lines[ahead.at];
    if (line === undefined || ahead.indent !== 0 || isSeqLine(line)) giveUp();
    this.i = ahead.at;
    const map = this.map(0, line as string, 0, ahead.comments);
    const end = this.ahead();
    if (end.at < this.lines.length || end.comments.length > 0) giveUp();
    return map;
  }

  /**
   * Looks past blank and comment lines without consuming them. Comments must sit at the
   * column of the line they precede (they then belong just before that item, in every
   * reader); a comment at any other column, or at the end, is left to the full reader.
   */
  private ahead(): Ahead {
    const comments: CommentNode[] = [];
    const columns: number[] = [];
    let at = this.i;
    for (; at < this.lines.length; at++) {
      const line = this.lines[at] as string;
      const lead = spaces(line);
      if (lead === line.length) continue;
      if (line.charAt(lead) !== '#') break;
      if (line.endsWith(' ')) giveUp();
      comments.push({ t: 'comment', v: line.slice(lead + 1) });
      columns.push(lead);
    }
    const line = this.lines[at];
    const indent = line === undefined ? -1 : spaces(line);
    if (columns.some((c) => c !== indent)) giveUp();
    return { comments, indent, at };
  }

  /** A mapping whose keys sit at `col`; `text` is its first entry (from `col` on the current line). */
  private map(col: number, text: string, depth: number, lead: CommentNode[]): MapNode {
    if (depth > MAX_DEPTH) giveUp();
    const map: MapNode = { t: 'map', items: lead };
    const seen = new Set<string>();
    let entry = text;
    for (;;) {
      const { key, rest, restCol } = this.key(entry, col);
      if (seen.has(key) || key === '<<') giveUp();
      seen.add(key);
      const value = rest === '' ? this.nested(col, depth, true) : this.inline(rest, restCol, col, depth, false);
      map.items.push(...this.takeSameLine(), { key, value });
      const ahead = this.ahead();
      if (ahead.indent < col) return map;
      if (ahead.indent > col) giveUp();
      this.i = ahead.at;
      map.items.push(...ahead.comments);
      entry = (this.lines[this.i] as string).slice(col);
      if (isSeqLine(entry)) giveUp();
    }
  }

  /** A list whose dashes sit at `col`; `text` starts with the first dash. Comments in an indentless list are left to the full reader. */
  private seq(col: number, text: string, depth: number, lead: CommentNode[], indentless = false): SeqNode {
    if (depth > MAX_DEPTH) giveUp();
    const seq: SeqNode = { t: 'seq', items: lead };
    let item = text;
    for (;;) {
      const rest = skipSpaces(item, 1);
      const restCol = col + item.length - rest.length;
      const value = rest === '' ? this.nested(col, depth, false) : this.inline(rest, restCol, col, depth, true);
      seq.items.push(...this.takeSameLine(), value);
      const ahead = this.ahead();
      if (indentless && ahead.comments.length > 0) giveUp();
      if (ahead.indent < col) return seq;
      if (ahead.indent > col) giveUp();
      const next = (this.lines[ahead.at] as string).slice(col);
      if (!isSeqLine(next)) return seq;
      this.i = ahead.at;
      seq.items.push(...ahead.comments);
      item = next;
    }
  }

  /** Splits `key: rest` (plain or quoted key); `restCol` is the column where `rest` starts. */
  private key(text: string, col: number): { key: string; rest: string; restCol: number } {
    let key: string;
    let after: string;
    if (text.startsWith('"') || text.startsWith("'")) {
      const quoted = readQuoted(text) ?? giveUp();
      key = quoted.value;
      after = text.slice(quoted.end);
      if (!after.startsWith(':')) giveUp();
    } else {
      const at = text.endsWith(':') && !text.includes(': ') ? text.length - 1 : text.indexOf(': ');
      if (at <= 0) giveUp();
      key = text.slice(0, at);
      if (INDICATORS.has(key.charAt(0)) || key.endsWith(' ') || key.includes(' #') || key.length > MAX_KEY) giveUp();
      if (resolvePlain(key).t !== 'str') giveUp();
      after = text.slice(at);
    }
    if (after !== ':' && !after.startsWith(': ')) giveUp();
    const rest = skipSpaces(after, 1);
    return { key, rest, restCol: col + text.length - rest.length };
  }

  /** A value on the lines below its key or dash (indented more than `col`, or an indentless list). */
  private nested(col: number, depth: number, indentless: boolean): Node {
    this.i++;
    const ahead = this.ahead();
    const line = this.lines[ahead.at];
    if (ahead.indent < col || line === undefined) return ahead.comments.length > 0 ? giveUp() : { t: 'null' };
    const text = line.slice(ahead.indent);
    if (ahead.indent === col) {
      if (ahead.comments.length > 0) giveUp();
      if (!indentless || !isSeqLine(text)) return { t: 'null' };
      this.i = ahead.at;
      return this.seq(col, text, depth + 1, [], true);
    }
    this.i = ahead.at;
    return isSeqLine(text)
      ? this.seq(ahead.indent, text, depth + 1, ahead.comments)
      : this.map(ahead.indent, text, depth + 1, ahead.comments);
  }

  /** A value that starts on the current line at column `at`, inside a collection at column `col`. */
  private inline(text: string, at: number, col: number, depth: number, inSeq: boolean): Node {
    if (isSeqLine(text)) return inSeq ? this.seq(at, text, depth + 1, []) : giveUp();
    if (text.startsWith('|')) return this.literal(text, inSeq ? col + 1 : col);
    if (text === '[]' || text === '{}') {
      this.i++;
      return text === '[]' ? { t: 'seq', items: [] } : { t: 'map', items: [] };
    }
    if (text.startsWith('"') || text.startsWith("'")) {
      const quoted = readQuoted(text) ?? giveUp();
      const after = text.slice(quoted.end);
      if (after !== '' && !/^ +#/.test(after))
        return inSeq && after.startsWith(':') ? this.map(at, text, depth + 1, []) : giveUp();
      this.comment(after);
      this.i++;
      return { t: 'str', v: quoted.value };
    }
    const hash = text.indexOf(' #');
    const body = hash === -1 ? text : text.slice(0, hash).replace(/ +$/, '');
    const first = body.charAt(0);
    if (INDICATORS.has(first) && !('-?:'.includes(first) && body.length > 1 && body.charAt(1) !== ' ')) giveUp();
    if (body.includes(': ') || body.endsWith(':')) return inSeq ? this.map(at, text, depth + 1, []) : giveUp();
    if (body.endsWith(' ')) giveUp();
    this.comment(hash === -1 ? '' : text.slice(hash));
    this.i++;
    return resolvePlain(body);
  }

  /** Keeps a same-line comment (`after` is what follows the value: spaces, `#`, text) for the item it follows. */
  private comment(after: string): void {
    if (after === '') return;
    if (after.endsWith(' ')) giveUp();
    this.sameLine = { t: 'comment', v: after.slice(after.indexOf('#') + 1), inline: true };
  }

  /** The same-line comment of the value just read, which goes before its entry or item. */
  private takeSameLine(): CommentNode[] {
    const comment = this.sameLine;
    this.sameLine = undefined;
    return comment ? [comment] : [];
  }

  /** A literal block (`|`, `|-`, `|+`) whose lines are indented more than `above`. */
  private literal(header: string, above: number): Node {
    const block = readLiteral(this.lines, this.i + 1, header, above) ?? giveUp();
    this.i = block.next;
    return { t: 'str', v: block.value };
  }
}

/** Reads `source` with the fast reader, or returns undefined when the full reader must do it. */
export function parseYamlFast(source: string): MapNode[] | undefined {
  if (!source.endsWith('\n') || UNUSUAL_CHAR.test(source) || UNUSUAL_LINE.test(source)) return undefined;
  try {
    return [new FastReader(source).document()];
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}
