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
import { parseYamlFast } from './yaml-fast.js';
import { BareComments, scalarNode } from './yaml-node.js';

export { emitYaml };

/** Most nodes that alias expansion may produce per document (billion-laughs guard). */
const MAX_ALIAS_NODES = 20_000;

class Reader {
  private aliasNodes = 0;
  /** Sequences whose trailing comment went to the enclosing mapping. */
  private readonly detached = new Set<YamlNode>();
  /** Comments below a value that are indented less than its mapping's keys: they go up to an outer mapping. */
  private carry: { column: number; items: CommentNode[] }[] = [];
  private aliasing = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly source: string,
    private readonly bare: BareComments,
  ) {}

  /** Splits a yaml-library comment into sops comment items, one per line; blank lines are dropped as sops does. */
  comments(text: string | null | undefined, inline = false): CommentNode[] {
    if (!text) return [];
    const out: CommentNode[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const v = this.bare.text(line);
      out.push(inline && out.length === 0 ? { t: 'comment', v, inline: true } : { t: 'comment', v });
    }
    return out;
  }

  /** Whether a node's trailing comment starts on the node's own line (a block scalar's: on its header). */
  private sameLine(node: YamlNode): boolean {
    const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
    const end = block ? node.range?.[0] : node.range?.[1];
    if (end === undefined) return false;
    const lineEnd = this.source.indexOf('\n', end);
    return this.source.slice(end, lineEnd === -1 ? undefined : lineEnd).includes('#');
  }

  private column(node: YamlNode | null): number {
    const at = node?.range?.[0] ?? 0;
    return at - this.source.lastIndexOf('\n', at - 1) - 1;
  }

  /** The column of the first comment line after a node's content, if any. */
  private footColumn(node: YamlNode | null): number | undefined {
    const [, end, foot] = node?.range ?? [];
    if (end === undefined || foot === undefined) return undefined;
    const match = /\n( *)#/.exec(this.source.slice(end, foot));
    return match?.[1]?.length;
  }

  /** Keeps trailing comments in the mapping whose keys sit at `column`, or carries them outwards. */
  private place(items: CommentNode[], node: YamlNode | null, column: number): CommentNode[] {
    if (items.length === 0) return items;
    const at = this.footColumn(node);
    if (at === undefined || at >= column) return items;
    this.carry.push({ column: at, items });
    return [];
  }

  /** Carried comments that belong to a mapping whose keys sit at `column`. */
  takeCarry(column: number): CommentNode[] {
    const mine = this.carry.filter((c) => c.column >= column);
    this.carry = this.carry.filter((c) => c.column < column);
    return mine.flatMap((c) => c.items);
  }

  /** A bare `#` (or `# `) on a block scalar's header line, which the yaml library drops. */
  private emptyHeaderComment(node: YamlNode): CommentNode | undefined {
    if (!isScalar(node) || (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED')) return undefined;
    const start = node.range?.[0] ?? 0;
    const end = this.source.indexOf('\n', start);
    const header = /^[|>][-+0-9]*[ \t]+# ?[ \t]*$/.exec(this.source.slice(start, end === -1 ? undefined : end));
    if (!header) return undefined;
    return { t: 'comment', v: this.bare.text(' '), inline: true };
  }

  /**
   * Comments after a value. A collection keeps its own, except a sequence written at
   * its key's column (`k:\n- a\n# c`), whose comment yaml.v3 gives to the next key.
   */
  private trailing(node: YamlNode, key?: YamlNode | null): { inline: CommentNode[]; after: CommentNode[] } {
    if (!isScalar(node)) {
      if (!isSeq(node) || key === undefined || this.column(node) > this.column(key)) return { inline: [], after: [] };
      this.detached.add(node);
      return { inline: [], after: this.comments(node.comment) };
    }
    const lines = this.comments(node.comment, false);
    if (lines.length === 0) {
      const empty = this.emptyHeaderComment(node);
      return { inline: empty ? [empty] : [], after: [] };
    }
    if (!this.sameLine(node)) return { inline: [], after: lines };
    const [first, ...rest] = lines;
    return { inline: first ? [{ ...first, inline: true }] : [], after: rest };
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
        out.items.push(...this.comments(child?.commentBefore));
        const { inline, after } = child ? this.trailing(child) : { inline: [], after: [] };
        out.items.push(...inline, this.node(child, `${where}[${i}]`, depth + 1), ...after);
      });
      if (!this.detached.has(node)) out.items.push(...this.comments(node.comment));
      return out;
    }
    return scalarNode(node, where);
  }

  map(node: YamlNode, where: string, depth: number): MapNode {
    if (!isMap(node)) throw new FormatError(`yaml: ${where || 'document'}: expected a mapping at the top level`);
    const out: MapNode = { t: 'map', items: [] };
    const seen = new Set<string>();
    const column = this.column((node.items[0]?.key as YamlNode | null) ?? node);
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      if (keyNode && !isScalar(keyNode)) throw new FormatError(`yaml: ${where}: map keys must be strings`);
      const keyValue = keyNode ? scalarNode(keyNode, where) : { t: 'null' as const };
      if (keyValue.t !== 'str')
        throw new FormatError(`yaml: ${where}: map keys must be strings (tree contains a non-string key)`);
      const key = keyValue.v;
      if (seen.has(key)) throw new FormatError(`yaml: ${where}: mapping key ${JSON.stringify(key)} already defined`);
      seen.add(key);
      out.items.push(...this.comments(keyNode?.commentBefore), ...this.comments(keyNode?.comment));
      const value = pair.value as YamlNode | null;
      // a comment between `key:` and a nested block belongs to the block's first item, as in yaml.v3
      const before = this.comments(value?.commentBefore);
      const nested = isMap(value) || isSeq(value);
      if (!nested) out.items.push(...before);
      const { inline, after } = value ? this.trailing(value, keyNode) : { inline: [], after: [] };
      const entry: MapEntry = { key, value: this.node(value, where ? `${where}.${key}` : key, depth + 1) };
      if (nested && (entry.value.t === 'map' || entry.value.t === 'seq')) entry.value.items.unshift(...before);
      out.items.push(...inline, entry, ...this.takeCarry(column), ...this.place(after, value, column));
    }
    out.items.push(...this.place(this.comments(node.comment), node, column));
    return out;
  }
}

/** Parses a YAML stream; every document must be a mapping (or empty). */
export function parseYaml(source: string): MapNode[] {
  if (source.length === 0) throw new FormatError('yaml: file cannot be completely empty');
  return parseYamlFast(source) ?? parseYamlFull(source);
}

/** Parses a YAML stream with the yaml library: every file, whatever its shape. */
export function parseYamlFull(source: string): MapNode[] {
  const docs = parseAllDocuments(source, {
    schema: 'failsafe',
    uniqueKeys: false,
    prettyErrors: false,
    logLevel: 'error',
  });
  if (!Array.isArray(docs)) return [];
  const bare = new BareComments(source);
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
    const reader = new Reader(doc, source, bare);
    const head = reader.comments(doc.commentBefore);
    const contents = doc.contents as YamlNode | null;
    const map: MapNode = contents === null ? { t: 'map', items: [] } : reader.map(contents, '', 0);
    map.items.unshift(...head);
    map.items.push(...reader.takeCarry(0));
    map.items.push(...reader.comments(doc.comment));
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
