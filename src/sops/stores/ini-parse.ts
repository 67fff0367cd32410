/**
 * INI reading with the go-ini v1.67 rules sops 3.13 relies on: an implicit
 * `DEFAULT` section, non-unique sections, `=`/`:` delimiters, trimmed values,
 * one layer of quotes, inline `#`/`;` comments, `\` continuation lines and
 * `"""`/backtick multi-line values. Comments gather until the next key or header.
 */

import { FormatError } from '../../errors.js';
import type { MapNode } from '../tree.js';

export interface IniKey {
  value: string;
  comment: string;
}

export interface IniSection {
  name: string;
  comment: string;
  keys: Map<string, IniKey>;
}

/** Go's unicode.IsSpace, which strings.TrimSpace uses (JS trim differs on U+0085 and U+FEFF). */
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

export function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && SPACE.test(s.charAt(i))) i++;
  return s.slice(i);
}

export function trimSpace(s: string): string {
  const left = trimLeft(s);
  let end = left.length;
  while (end > 0 && SPACE.test(left.charAt(end - 1))) end--;
  return left.slice(0, end);
}

const byteLength = (s: string) => new TextEncoder().encode(s).length;

/** From the first `#` or `;` to the end, if there is one. */
function commentPart(s: string): string | undefined {
  const i = s.search(/[#;]/);
  return i === -1 ? undefined : s.slice(i);
}

/** A string wrapped in `quote` that appears nowhere else inside it. */
function surroundedBy(s: string, quote: string): boolean {
  return s.length >= 2 && s.startsWith(quote) && s.endsWith(quote) && s.indexOf(quote, 1) === s.length - 1;
}

class Parser {
  private pos = 0;
  private lineNo = 0;
  eof = false;
  comment = '';

  constructor(private readonly text: string) {}

  /** The next line with its `\n`; the last one sets `eof`. */
  next(): string {
    this.lineNo++;
    const end = this.text.indexOf('\n', this.pos);
    const stop = end === -1 ? this.text.length : end + 1;
    if (end === -1) this.eof = true;
    const line = this.text.slice(this.pos, stop);
    this.pos = stop;
    return line;
  }

  get line(): number {
    return this.lineNo;
  }

  fail(line: number, what: string): never {
    throw new FormatError(`ini: line ${line}: ${what}`);
  }

  keyName(line: string, at: number): { name: string; offset: number } {
    let quote = '';
    if (line.startsWith('"')) quote = byteLength(line) > 6 && line.startsWith('"""') ? '"""' : '"';
    else if (line.startsWith('`')) quote = '`';
    if (quote !== '') {
      const close = line.indexOf(quote, quote.length);
      if (close === -1) this.fail(at, 'a quoted key name is not closed');
      const after = close + quote.length;
      const delim = line.slice(after).search(/[=:]/);
      if (delim === -1) this.fail(at, 'expected a key with = or :');
      return { name: trimSpace(line.slice(quote.length, close)), offset: after + delim + 1 };
    }
    const delim = line.search(/[=:]/);
    if (delim === -1) this.fail(at, 'expected a key with = or :');
    if (delim === 0) this.fail(at, 'empty key name');
    return { name: trimSpace(line.slice(0, delim)), offset: delim + 1 };
  }

  value(input: string, at: number): string {
    let line = trimLeft(input);
    if (line === '') return '';
    const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line.startsWith('`') ? '`' : '';
    if (quote !== '') {
      const rest = line.slice(quote.length);
      const close = rest.lastIndexOf(quote);
      return close === -1 ? this.multiline(rest, quote, at) : rest.slice(0, close);
    }
    line = trimSpace(line);
    if (line.endsWith('\\')) return this.continued(line.slice(0, -1));
    const inline = line.search(/[#;]/);
    if (inline !== -1) {
      this.comment += line.slice(inline);
      line = trimSpace(line.slice(0, inline));
    }
    if (surroundedBy(line, "'") || surroundedBy(line, '"')) line = line.slice(1, -1);
    return line;
  }

  private multiline(first: string, quote: string, at: number): string {
    let value = first;
    for (;;) {
      const next = this.next();
      const close = next.lastIndexOf(quote);
      if (close !== -1) {
        const rest = next.slice(close + quote.length).replace(/[\r\n]+$/, '');
        if (!trimSpace(rest).endsWith('\\')) {
          value += next.slice(0, close);
          const tail = commentPart(next.slice(close));
          if (tail !== undefined) this.comment += trimSpace(tail);
          return value;
        }
      }
      value += next;
      if (close === -1 && this.eof) this.fail(at, 'a quoted value is not closed');
    }
  }

  private continued(first: string): string {
    let value = first;
    for (;;) {
      const next = trimSpace(this.next());
      if (next === '') return value;
      value += next;
      if (!value.endsWith('\\')) return value;
      value = value.slice(0, -1);
    }
  }
}

/** Parses INI text into its sections, `DEFAULT` first. */
export function parseIniSections(text: string): IniSection[] {
  const p = new Parser(text);
  let section: IniSection = { name: 'DEFAULT', comment: '', keys: new Map() };
  const sections = [section];
  let counter = 1;
  while (!p.eof) {
    const line = trimLeft(p.next());
    const at = p.line;
    if (line === '') continue;
    if (line.startsWith('#') || line.startsWith(';')) {
      p.comment += line;
      continue;
    }
    if (line.startsWith('[')) {
      const close = line.lastIndexOf(']');
      if (close === -1) p.fail(at, 'a section header is not closed');
      const name = line.slice(1, close);
      if (name === '') p.fail(at, 'empty section name');
      p.comment += commentPart(line.slice(close + 1)) ?? '';
      section = { name, comment: trimSpace(p.comment), keys: new Map() };
      sections.push(section);
      p.comment = '';
      counter = 1;
      continue;
    }
    let { name, offset } = p.keyName(line, at);
    if (name === '-') name = `#${counter++}`;
    const value = p.value(line.slice(offset), at);
    if (name === '') p.fail(at, 'empty key name');
    const key = section.keys.get(name) ?? { value, comment: '' };
    key.value = value;
    key.comment = trimSpace(p.comment);
    section.keys.set(name, key);
    p.comment = '';
  }
  return sections;
}

/** sops's stripCommentChar: drops the leading run of `;`/space or `#`/space. */
export function stripComment(text: string): string {
  if (text.startsWith(';')) return text.replace(/^[; ]+/, '');
  if (text.startsWith('#')) return text.replace(/^[# ]+/, '');
  return text;
}

/** The sops tree of INI sections: one map per section, comments as items. */
export function treeFromSections(sections: readonly IniSection[]): MapNode {
  return {
    t: 'map',
    items: sections.map((section) => {
      const map: MapNode = { t: 'map', items: [] };
      if (section.comment !== '') map.items.push({ t: 'comment', v: stripComment(section.comment) });
      for (const [key, { value, comment }] of section.keys) {
        map.items.push({ key, value: { t: 'str', v: value } });
        if (comment !== '') map.items.push({ t: 'comment', v: stripComment(comment) });
      }
      return { key: section.name, value: map };
    }),
  };
}
