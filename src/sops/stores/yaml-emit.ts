/**
 * Writes the ordered tree as YAML laid out the way Go yaml.v3 does for sops:
 * indent 4 by default, sequences indented under their key, a mapping inside a
 * sequence item starting on the dash line and indented from the dash, compact
 * nested sequences (`- - x`), literal blocks for multi-line strings, and yaml.v3's
 * choice of plain, single- or double-quoted scalars.
 */

import type { CommentNode, MapNode, Node, Scalar, SeqNode } from '../tree.js';
import { formatYamlFloat, hasSpecialChar, yamlString } from './yaml-scalars.js';

export interface YamlEmitOptions {
  indent?: number;
}

function scalarText(node: Scalar): string {
  switch (node.t) {
    case 'null':
      return 'null';
    case 'bool':
      return node.v ? 'true' : 'false';
    case 'int':
      return node.v.toString();
    case 'float':
      return formatYamlFloat(node.v);
    case 'time':
      return node.v;
    case 'bytes':
      return yamlString(new TextDecoder('utf-8', { ignoreBOM: true }).decode(node.v));
    case 'str':
      return yamlString(node.v);
  }
}

/**
 * Literal block lines (`|`, `|-`, `|+`, with yaml.v3's indentation hint when the
 * text starts with a space or line break) for a multi-line string, or undefined
 * when yaml.v3 would quote it. `parent` is the key's or dash's column. Two cases stay
 * quoted on purpose: a hint yaml.v3 would place wrongly (content not at
 * parent + hint, which other YAML readers reject) and a leading tab (sops 3.13.2
 * writes `null` for that block, losing the value).
 */
function literalBlock(s: string, indent: number, parent: number, step: number): string[] | undefined {
  if (!s.includes('\n') || hasSpecialChar(s.replaceAll('\t', ''), false)) return undefined;
  if (s.includes(' \n') || s.endsWith(' ') || s.startsWith('\t')) return undefined;
  const hint = s.startsWith(' ') || s.startsWith('\n') ? String(step) : '';
  if (hint !== '' && indent !== parent + step) return undefined;
  const chomp = !s.endsWith('\n') ? '-' : s === '\n' || s.endsWith('\n\n') ? '+' : '';
  const pad = ' '.repeat(indent);
  const lines = (chomp === '-' ? s : s.slice(0, -1)).split('\n').map((line) => (line === '' ? '' : pad + line));
  return [`|${hint}${chomp}`, ...lines];
}

const spaces = (n: number) => ' '.repeat(n);

class Emitter {
  readonly out: string[] = [];
  constructor(private readonly step: number) {}

  private comment(c: CommentNode, column: number): void {
    this.out.push(`${spaces(column)}#${c.v}`);
  }

  /**
   * yaml.v3's indentation for a block nested in a mapping at `indent`: the next
   * multiple of the step (so a map inside `- - ` at column 8 nests at 12, not 10).
   */
  private nest(indent: number): number {
    return this.step * Math.floor((indent + this.step) / this.step);
  }

  /**
   * Writes `head` (a key with colon, or a dash) and then the value. `indent` is the
   * yaml.v3 indentation of the mapping holding the value.
   */
  value(head: string, node: Node, indent: number, blockIndent: number, inline?: CommentNode): void {
    const tail = inline ? ` #${inline.v}` : '';
    if (node.t === 'map' || node.t === 'seq') {
      if (node.items.length === 0) {
        this.out.push(`${head} ${node.t === 'map' ? '{}' : '[]'}${tail}`);
      } else {
        this.out.push(head + tail);
        if (node.t === 'map') this.mapBody(node, this.nest(indent), this.nest(indent));
        else this.seqBody(node, this.nest(indent));
      }
      return;
    }
    if (node.t === 'comment') {
      this.out.push(head + tail);
      return;
    }
    const block = node.t === 'str' ? literalBlock(node.v, blockIndent, indent, this.step) : undefined;
    if (block) this.out.push(`${head} ${block[0]}${tail}`, ...block.slice(1));
    else this.out.push(`${head} ${scalarText(node)}${tail}`);
  }

  /** A mapping whose keys sit at `column` and whose own indentation is `indent`. */
  mapBody(map: MapNode, column: number, indent: number): void {
    let inline: CommentNode | undefined;
    for (const item of map.items) {
      if ('t' in item) {
        if (item.inline) inline = item;
        else this.comment(item, column);
        continue;
      }
      this.value(`${spaces(column)}${yamlString(item.key)}:`, item.value, indent, this.nest(indent), inline);
      inline = undefined;
    }
    if (inline) this.comment(inline, column);
  }

  /** A sequence whose dashes sit at `column`. */
  seqBody(seq: SeqNode, column: number): void {
    let inline: CommentNode | undefined;
    for (const item of seq.items) {
      if (item.t === 'comment') {
        if (item.inline) inline = item;
        else this.comment(item, column);
        continue;
      }
      if ((item.t === 'map' || item.t === 'seq') && item.items.length > 0) this.compact(item, column);
      else this.value(`${spaces(column)}-`, item, column, column + 2, inline);
      inline = undefined;
    }
    if (inline) this.comment(inline, column);
  }

  /** A collection inside a sequence item starts on the dash line (`- key: v`, `- - x`). */
  private compact(node: MapNode | SeqNode, column: number): void {
    const leading = node.items.findIndex((item) => !('t' in item) || item.t !== 'comment' || item.inline === true);
    const begin = this.out.length;
    const start = begin + Math.max(leading, 0);
    if (node.t === 'map') this.mapBody(node, column + 2, column + 2);
    else this.seqBody(node, column + 2);
    // comments above the first entry sit above the dash, at its column (yaml.v3 head comments)
    for (let i = begin; i < start; i++) this.out[i] = `${spaces(column)}${this.out[i]?.trimStart()}`;
    const first = this.out[start];
    if (first !== undefined) this.out[start] = `${spaces(column)}- ${first.slice(column + 2)}`;
  }
}

const stepOf = (options: YamlEmitOptions) =>
  options.indent !== undefined && options.indent >= 2 && options.indent <= 9 ? options.indent : 4;

/** Serializes documents as a YAML stream (`---` between documents). */
export function emitYaml(documents: readonly MapNode[], options: YamlEmitOptions = {}): string {
  const parts = documents.map((doc) => {
    if (doc.items.length === 0) return '{}\n';
    const emitter = new Emitter(stepOf(options));
    emitter.mapBody(doc, 0, 0);
    return `${emitter.out.join('\n')}\n`;
  });
  return parts.join('---\n');
}

/** Serializes a single value (for `--extract`): maps and lists as block YAML, scalars on one line. */
export function emitYamlValue(node: Node, options: YamlEmitOptions = {}): string {
  if (node.t === 'map') return emitYaml([node], options);
  const emitter = new Emitter(stepOf(options));
  if (node.t === 'seq') {
    if (node.items.length === 0) return '[]\n';
    emitter.seqBody(node, 0);
  } else {
    emitter.value('', node, 0, 0);
  }
  return `${emitter.out.join('\n').replace(/^ /, '')}\n`;
}
