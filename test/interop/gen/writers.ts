/**
 * Random YAML and JSON collections (maps, lists, comments) and the writers that
 * turn a model into YAML text (block and literal styles, comments) or JSON text
 * (any indent).
 */

import type { Entry, Item, Leaf, MapValue, Value } from './model.js';
import type { Rng } from './rng.js';
import { commentText } from './rules.js';
import { randKey, randLeaf, yamlKey } from './scalars.js';

// ---------------------------------------------------------------------------
// Collections

function randValue(rng: Rng, format: 'yaml' | 'json', depth: number): Value {
  const r = rng.next();
  if (depth < 4 && r < 0.18) return randMap(rng, format, depth + 1, rng.range(0, 5));
  if (depth < 4 && r < 0.32) return randList(rng, format, depth + 1);
  return randLeaf(rng, format);
}

function randComments(rng: Rng, format: 'yaml' | 'json', p: number): string[] {
  if (format !== 'yaml' || !rng.chance(p)) return [];
  return Array.from({ length: rng.range(1, 2) }, () => commentText(rng));
}

export function randMap(rng: Rng, format: 'yaml' | 'json', depth: number, size: number): MapValue {
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (let n = 0; n < size; n++) {
    let key = randKey(rng, format);
    if (format === 'json' && rng.chance(0.02) && entries.length > 0) {
      key = entries[rng.int(entries.length)]?.key ?? key; // JSON keeps duplicate keys
    } else {
      while (seen.has(key) || (depth === 0 && key === 'sops')) key = `${key}${rng.int(10)}`;
    }
    seen.add(key);
    const value = randValue(rng, format, depth);
    const entry: Entry = { key, value, comments: randComments(rng, format, 0.2) };
    if (format === 'yaml' && value.k !== 'map' && value.k !== 'list' && value.src !== '' && rng.chance(0.1))
      entry.inline = commentText(rng);
    entries.push(entry);
  }
  return { k: 'map', entries };
}

function randList(rng: Rng, format: 'yaml' | 'json', depth: number): Value {
  const items: Item[] = [];
  const size = rng.range(0, 5);
  for (let n = 0; n < size; n++) {
    let value = randValue(rng, format, depth);
    if (value.k === 'null' && value.src === '') value = { k: 'null', src: '~' };
    if (value.k === 'map' && value.entries.length > 0) {
      const first = value.entries[0];
      if (first) first.comments = [];
    }
    // no comments inside sequences: sops 3.13.2 writes them as `- ENC[…,type:comment]` items and then fails
    // its own MAC check, so there is nothing to compare (test/sops/yaml-list-comments.test.ts covers them)
    items.push({ value, comments: [] });
  }
  return { k: 'list', items };
}

// ---------------------------------------------------------------------------
// YAML writer

function yamlScalarSrc(rng: Rng, leaf: Leaf): string {
  if (leaf.k === 'str' && leaf.v.includes('\n') && literalOk(leaf.v) && rng.chance(0.3)) return '\u0000literal';
  return leaf.src;
}

function literalOk(s: string): boolean {
  const body = s.endsWith('\n') ? s.slice(0, -1) : s;
  if (body.endsWith('\n') || body.length === 0) return false;
  return body.split('\n').every((line) => line.length > 0 && line.trim() === line && !/[\t\r]/.test(line));
}

export function writeYamlMap(rng: Rng, map: MapValue, indent: number, step: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  for (const entry of map.entries) {
    for (const c of entry.comments) out.push(`${pad}#${c}`);
    const key = yamlKey(rng, entry.key);
    const v = entry.value;
    if (v.k === 'map') {
      if (v.entries.length === 0) out.push(`${pad}${key}: {}`);
      else {
        out.push(`${pad}${key}:`);
        writeYamlMap(rng, v, indent + step, step, out);
      }
    } else if (v.k === 'list') {
      if (v.items.length === 0) out.push(`${pad}${key}: []`);
      else {
        out.push(`${pad}${key}:`);
        writeYamlList(rng, v.items, rng.chance(0.3) ? indent : indent + step, step, out);
      }
    } else {
      const src = yamlScalarSrc(rng, v);
      const inline = entry.inline !== undefined ? ` #${entry.inline}` : '';
      if (src === '\u0000literal' && v.k === 'str') {
        out.push(`${pad}${key}: ${v.v.endsWith('\n') ? '|' : '|-'}${inline}`);
        for (const line of v.v.replace(/\n$/, '').split('\n')) out.push(`${pad}${' '.repeat(step)}${line}`);
      } else {
        out.push(`${pad}${key}:${src === '' ? '' : ` ${src}`}${inline}`);
      }
    }
  }
}

function writeYamlList(rng: Rng, items: Item[], indent: number, step: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  for (const item of items) {
    for (const c of item.comments) out.push(`${pad}#${c}`);
    const v = item.value;
    if (v.k === 'map') {
      if (v.entries.length === 0) out.push(`${pad}- {}`);
      else {
        const inner: string[] = [];
        writeYamlMap(rng, v, indent + 2, step, inner);
        const [first, ...rest] = inner;
        out.push(`${pad}- ${(first ?? '').slice(indent + 2)}`, ...rest);
      }
    } else if (v.k === 'list') {
      if (v.items.length === 0) out.push(`${pad}- []`);
      else {
        out.push(`${pad}-`);
        writeYamlList(rng, v.items, indent + 2, step, out);
      }
    } else {
      const inline = item.inline !== undefined ? ` #${item.inline}` : '';
      out.push(`${pad}- ${v.src}${inline}`);
    }
  }
}

// ---------------------------------------------------------------------------
// JSON writer

export function writeJson(v: Value, indent: string, level: number): string {
  const nl = indent === '' ? '' : '\n';
  const pad = indent.repeat(level + 1);
  const end = indent.repeat(level);
  const sep = indent === '' ? ':' : ': ';
  if (v.k === 'map') {
    if (v.entries.length === 0) return '{}';
    const body = v.entries.map((e) => `${pad}${JSON.stringify(e.key)}${sep}${writeJson(e.value, indent, level + 1)}`);
    return `{${nl}${body.join(`,${nl}`)}${nl}${end}}`;
  }
  if (v.k === 'list') {
    if (v.items.length === 0) return '[]';
    const body = v.items.map((i) => `${pad}${writeJson(i.value, indent, level + 1)}`);
    return `[${nl}${body.join(`,${nl}`)}${nl}${end}]`;
  }
  return v.src;
}
