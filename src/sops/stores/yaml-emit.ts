/**
 * Writes the ordered tree as YAML the way Go yaml.v3 lays it out for sops: indent 4
 * by default, sequences indented under their key, strings quoted whenever yaml.v3
 * would read them as another type, multi-line strings as literal blocks.
 */

import type { CommentNode, MapEntry, MapNode, Node, Scalar, SeqNode } from '../tree.js';
import { canBePlain, doubleQuoted, formatYamlFloat, hasSpecialChar } from './yaml-scalars.js';

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
      return stringText(new TextDecoder().decode(node.v));
    case 'str':
      return stringText(node.v);
  }
}

function stringText(s: string): string {
  return canBePlain(s) ? s : doubleQuoted(s);
}

/** A literal block is used for multi-line strings whose lines survive one unchanged. */
function literalBlock(s: string, pad: string): string[] | undefined {
  if (!s.includes('\n') || hasSpecialChar(s, false)) return undefined;
  const body = s.replace(/\n+$/, '');
  if (body === '' || body.startsWith(' ') || /[ ]\n|[ ]$/.test(body)) return undefined;
  const trailing = s.length - body.length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const lines = body.split('\n').map((line) => (line === '' ? '' : pad + line));
  for (let i = 1; i < trailing; i++) lines.push('');
  return [`|${chomp}`, ...lines];
}

class Emitter {
  readonly out: string[] = [];
  constructor(private readonly step: number) {}

  comment(c: CommentNode, pad: string): void {
    this.out.push(`${pad}#${c.v}`);
  }

  /** Emits `prefix` followed by a value; `pad` is the indentation of the prefix's line. */
  value(prefix: string, node: Node, pad: string, inline: CommentNode | undefined): void {
    const tail = inline ? ` #${inline.v}` : '';
    const childPad = pad + ' '.repeat(this.step);
    if (node.t === 'map' || node.t === 'seq') {
      if (node.items.length === 0) {
        this.out.push(`${prefix} ${node.t === 'map' ? '{}' : '[]'}${tail}`);
      } else {
        this.out.push(prefix + tail);
        if (node.t === 'map') this.mapBody(node, childPad);
        else this.seqBody(node, childPad);
      }
      return;
    }
    if (node.t === 'comment') {
      this.out.push(`${prefix}${tail}`);
      return;
    }
    const text = node.t === 'str' ? node.v : undefined;
    const block = text === undefined ? undefined : literalBlock(text, childPad);
    if (block) {
      this.out.push(`${prefix} ${block[0]}${tail}`, ...block.slice(1));
      return;
    }
    this.out.push(`${prefix} ${scalarText(node as Scalar)}${tail}`);
  }

  mapBody(map: MapNode, pad: string): void {
    let inline: CommentNode | undefined;
    for (const item of map.items) {
      if ('t' in item) {
        if (item.inline) inline = item;
        else this.comment(item, pad);
        continue;
      }
      this.entry(item, pad, inline);
      inline = undefined;
    }
    if (inline) this.comment(inline, pad);
  }

  entry(item: MapEntry, pad: string, inline: CommentNode | undefined): void {
    this.value(`${pad}${stringText(item.key)}:`, item.value, pad, inline);
  }

  seqBody(seq: SeqNode, pad: string): void {
    let inline: CommentNode | undefined;
    for (const item of seq.items) {
      if (item.t === 'comment') {
        if (item.inline) inline = item;
        else this.comment(item, pad);
        continue;
      }
      if (item.t === 'map' && item.items.length > 0) this.seqMap(item, pad);
      else this.value(`${pad}-`, item, pad, inline);
      inline = undefined;
    }
    if (inline) this.comment(inline, pad);
  }

  /** A mapping inside a sequence: the first key shares the `- ` line. */
  seqMap(map: MapNode, pad: string): void {
    const leading = map.items.findIndex((item) => !('t' in item) || item.inline === true);
    const start = this.out.length + Math.max(leading, 0);
    this.mapBody(map, `${pad}  `);
    const first = this.out[start];
    if (first !== undefined) this.out[start] = `${pad}- ${first.slice(pad.length + 2)}`;
  }
}

/** Serializes documents as a YAML stream (`---` between documents). */
export function emitYaml(documents: readonly MapNode[], options: YamlEmitOptions = {}): string {
  const step = options.indent !== undefined && options.indent >= 2 && options.indent <= 9 ? options.indent : 4;
  const parts = documents.map((doc) => {
    const emitter = new Emitter(step);
    if (doc.items.length === 0) return '{}\n';
    emitter.mapBody(doc, '');
    return `${emitter.out.join('\n')}\n`;
  });
  return parts.join('---\n');
}

/** Serializes a single value (for `--extract`): maps and lists as block YAML, scalars on one line. */
export function emitYamlValue(node: Node, options: YamlEmitOptions = {}): string {
  if (node.t === 'map') return emitYaml([node], options);
  const step = options.indent !== undefined && options.indent >= 2 && options.indent <= 9 ? options.indent : 4;
  const emitter = new Emitter(step);
  if (node.t === 'seq') {
    if (node.items.length === 0) return '[]\n';
    emitter.seqBody(node, '');
    return `${emitter.out.join('\n')}\n`;
  }
  emitter.value('', node, '', undefined);
  return `${emitter.out.join('\n').replace(/^ /, '')}\n`;
}
