/**
 * INI writing as sops 3.13 does it through go-ini v1.67 `WriteTo`: one section
 * per top-level key, `=` aligned per section, go-ini's quoting of keys and
 * values, `; comment` lines, a blank line between sections.
 */

import { FormatError } from '../../errors.js';
import type { MapNode } from '../tree.js';
import { valToString } from './flatten.js';
import { trimSpace } from './ini-parse.js';

export interface OutKey {
  name: string;
  value: string;
  comment: string;
}

export interface OutSection {
  name: string;
  comment: string;
  keys: OutKey[];
}

/**
 * Turns documents into sections as sops's encodeTree does: top-level comments
 * are dropped, a section's first comment is the section comment, a later
 * comment belongs to the key before it (the last one wins), a repeated key
 * keeps its first place and takes the later value.
 */
export function sectionsFromTree(documents: readonly MapNode[]): OutSection[] {
  const sections: OutSection[] = [];
  for (const doc of documents) {
    for (const item of doc.items) {
      if ('t' in item) continue;
      const where = `ini: section ${JSON.stringify(item.key)}`;
      if (item.key === '') throw new FormatError('ini: empty section name');
      if (item.value.t !== 'map') throw new FormatError(`${where}: a top-level value must be a map (an ini section)`);
      const section: OutSection = { name: item.key, comment: '', keys: [] };
      const byName = new Map<string, OutKey>();
      let last: OutKey | undefined;
      item.value.items.forEach((entry, i) => {
        if ('t' in entry) {
          if (i === 0) section.comment = entry.v;
          else if (last) last.comment = entry.v;
          return;
        }
        const { key, value } = entry;
        if (key === '') throw new FormatError(`${where}: empty key name`);
        if (value.t === 'map' || value.t === 'seq') {
          throw new FormatError(`${where}: key ${JSON.stringify(key)} holds a nested value, which ini cannot hold`);
        }
        const text = value.t === 'comment' ? value.v : valToString(value);
        last = byName.get(key);
        if (last) last.value = text;
        else {
          last = { name: key, value: text, comment: '' };
          byName.set(key, last);
          section.keys.push(last);
        }
      });
      sections.push(section);
    }
  }
  return sections;
}

const byteLength = (s: string) => new TextEncoder().encode(s).length;

/** A comment line as go-ini writes it (`; text`, or the text's own `#`/`;` then one space). */
function commentLine(line: string, trim: boolean): string {
  const first = line.charAt(0);
  if (first !== '#' && first !== ';') return `; ${trim ? trimSpace(line) : line}\n`;
  return `${first} ${trimSpace(line.slice(1))}\n`;
}

function quoteKey(name: string): string {
  if (name.includes('"') || /[=:]/.test(name)) return `\`${name}\``;
  if (name.includes('`')) return `"""${name}"""`;
  return name;
}

function quoteValue(value: string): string {
  if (/[\n`]/.test(value)) return `"""${value}"""`;
  if (/[#;]/.test(value)) return `\`${value}\``;
  if (trimSpace(value) !== value) return `"${value}"`;
  return value;
}

/** Writes sections as go-ini's WriteTo with sops's settings (pretty format, no DEFAULT header). */
export function writeIni(sections: readonly OutSection[]): string {
  let out = '';
  sections.forEach((section, i) => {
    if (section.comment !== '') for (const line of section.comment.split('\n')) out += commentLine(line, false);
    if (i > 0 || section.name.toUpperCase() !== 'DEFAULT') out += `[${section.name}]\n`;
    else if (section.keys.length === 0) return;
    const names = section.keys.map((key) => quoteKey(key.name));
    const width = names.reduce((max, name) => Math.max(max, byteLength(name)), 0);
    section.keys.forEach((key, k) => {
      const name = names[k] ?? key.name;
      if (key.comment !== '') for (const line of key.comment.split('\n')) out += commentLine(line, true);
      out += `${name}${' '.repeat(width - byteLength(name))} = ${quoteValue(key.value)}\n`;
    });
    if (i < sections.length - 1) out += '\n';
  });
  return out;
}
