/**
 * YAML store: reads a (multi-document) YAML stream into the ordered tree with
 * yaml.v3 scalar typing, comments as tree items, aliases expanded and duplicate
 * keys rejected; writes a tree back as YAML (see yaml-emit.ts).
 */

import { type Document, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { FormatError } from '../../errors.js';
import { type CommentNode, type MapEntry, type MapNode, type Node, type SeqNode, takeEntry, toPlain } from '../tree.js';
import type { Store } from './store.js';

import { emitYaml, emitYamlValue } from './yaml-emit.js';
import { resolvePlain } from './yaml-scalars.js';

export { emitYaml };

const TAG = 'tag:yaml.org,2002:';

/** Splits a yaml-library comment into sops comment items (one per non-empty line). */
function commentLines(text: string | null | undefined, inline = false): CommentNode[] {
  if (!text) return [];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => (inline && i === 0 ? { t: 'comment', v: line, inline: true } : { t: 'comment', v: line }));
}

/** Most nodes that alias expansion may produce per document (billion-laughs guard). */
const MAX_ALIAS_NODES = 20_000;

class Reader {
  private aliasNodes = 0;
  private aliasing = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly source: string,
  ) {}

  /** Whether a node's trailing comment starts on the node's own line. */
  private sameLine(node: YamlNode): boolean {
    const end = node.range?.[1];
    if (end === undefined) return false;
    const lineEnd = this.source.indexOf('\n', end);
    return this.source.slice(end, lineEnd === -1 ? undefined : lineEnd).includes('#');
  }

  private trailing(node: YamlNode): { inline: CommentNode[]; after: CommentNode[] } {
    const lines = commentLines(node.comment, false);
    if (lines.length === 0 || !isScalar(node) || !this.sameLine(node)) return { inline: [], after: lines };
    const [first, ...rest] = lines;
    return { inline: first ? [{ ...first, inline: true }] : [], after: rest };
  }

  scalar(node: YamlNode, where: string): Node {
    if (!isScalar(node)) throw new FormatError(`yaml: ${where}: unexpected node`);
    const tag = node.tag?.startsWith(TAG) ? node.tag.slice(TAG.length) : node.tag;
    if (tag === 'binary') {
      const text = String(node.source ?? '').replace(/\s+/g, '');
      if (!(node.value instanceof Uint8Array) || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
        throw new FormatError(`yaml: ${where}: !!binary value contains invalid base64 data`);
      }
      return { t: 'str', v: new TextDecoder().decode(node.value) };
    }
    const text = typeof node.value === 'string' ? node.value : String(node.source ?? '');
    if (tag === 'str') return { t: 'str', v: text };
    if (node.type === 'PLAIN' || tag === 'int' || tag === 'float' || tag === 'bool' || tag === 'null') {
      return resolvePlain(text);
    }
    return { t: 'str', v: text };
  }

  /** Expands an alias target, counting every node it produces against the aliasing limit. */
  private expand(target: YamlNode, where: string, depth: number): Node {
    this.aliasing += 1;
    try {
      return this.node(target, where, depth);
    } finally {
      this.aliasing -= 1;
    }
  }

  private countAliased(where: string): void {
    if (this.aliasing === 0) return;
    this.aliasNodes += 1;
    if (this.aliasNodes > MAX_ALIAS_NODES) {
      throw new FormatError(`yaml: ${where || 'document'}: document contains excessive aliasing`);
    }
  }

  node(node: YamlNode | null, where: string, depth: number): Node {
    this.countAliased(where);
    if (depth > 256) throw new FormatError(`yaml: ${where}: nesting is too deep`);
    if (node === null) return { t: 'null' };
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new FormatError(`yaml: ${where}: unknown alias *${node.source}`);
      return this.expand(target, where, depth + 1);
    }
    if (isMap(node)) return this.map(node, where, depth);
    if (isSeq(node)) {
      const out: SeqNode = { t: 'seq', items: [] };
      node.items.forEach((item, i) => {
        const child = item as YamlNode | null;
        out.items.push(...commentLines(child?.commentBefore));
        const { inline, after } = child ? this.trailing(child) : { inline: [], after: [] };
        out.items.push(...inline, this.node(child, `${where}[${i}]`, depth + 1), ...after);
      });
      out.items.push(...commentLines(node.comment));
      return out;
    }
    return this.scalar(node, where);
  }

  map(node: YamlNode, where: string, depth: number): MapNode {
    if (!isMap(node)) throw new FormatError(`yaml: ${where || 'document'}: expected a mapping at the top level`);
    const out: MapNode = { t: 'map', items: [] };
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      if (keyNode && !isScalar(keyNode)) throw new FormatError(`yaml: ${where}: map keys must be strings`);
      const keyValue = keyNode ? this.scalar(keyNode, where) : { t: 'null' as const };
      if (keyValue.t !== 'str')
        throw new FormatError(`yaml: ${where}: map keys must be strings (tree contains a non-string key)`);
      const key = keyValue.v;
      if (seen.has(key)) throw new FormatError(`yaml: ${where}: mapping key ${JSON.stringify(key)} already defined`);
      seen.add(key);
      out.items.push(...commentLines(keyNode?.commentBefore), ...commentLines(keyNode?.comment));
      const value = pair.value as YamlNode | null;
      out.items.push(...commentLines(value?.commentBefore));
      const { inline, after } = value ? this.trailing(value) : { inline: [], after: [] };
      const entry: MapEntry = { key, value: this.node(value, where ? `${where}.${key}` : key, depth + 1) };
      out.items.push(...inline, entry, ...after);
    }
    out.items.push(...commentLines(node.comment));
    return out;
  }
}

/** Parses a YAML stream; every document must be a mapping (or empty). */
export function parseYaml(source: string): MapNode[] {
  if (source.length === 0) throw new FormatError('yaml: file cannot be completely empty');
  const docs = parseAllDocuments(source, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  return docs.map((doc, i) => {
    const [error] = doc.errors;
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw new FormatError(
        `yaml: document ${i}${line ? ` line ${line}` : ''}: ${error.code.toLowerCase().replaceAll('_', ' ')}`,
      );
    }
    if (doc.warnings.some((w) => w.code === 'BAD_DIRECTIVE')) {
      throw new FormatError(`yaml: document ${i}: found incompatible YAML document (unsupported directive)`);
    }
    const reader = new Reader(doc, source);
    const contents = doc.contents as YamlNode | null;
    const map: MapNode = contents === null ? { t: 'map', items: [] } : reader.map(contents, '', 0);
    map.items.unshift(...commentLines(doc.commentBefore));
    map.items.push(...commentLines(doc.comment));
    return map;
  });
}

const utf8 = new TextEncoder();
const decode = (input: Uint8Array) => new TextDecoder().decode(input);

export const yamlStore: Store = {
  format: 'yaml',
  parsePlain: (input) => parseYaml(decode(input)),
  parseEncrypted(input) {
    const documents = parseYaml(decode(input));
    const [first, ...rest] = documents;
    const meta = first ? takeEntry(first, 'sops') : undefined;
    for (const doc of rest) takeEntry(doc, 'sops');
    return { documents, metadata: meta === undefined ? undefined : toPlain(meta) };
  },
  emitPlain: (documents, options) => utf8.encode(emitYaml(documents, options)),
  emitEncrypted(documents, metadata, options) {
    const withMeta = documents.map((doc) => ({ ...doc, items: [...doc.items, { key: 'sops', value: metadata }] }));
    return utf8.encode(emitYaml(withMeta, options));
  },
  emitValue: (node, options) => utf8.encode(emitYamlValue(node, options)),
};
