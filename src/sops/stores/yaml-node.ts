/**
 * Pieces of the YAML reader that work on single yaml-library nodes: scalars typed
 * as yaml.v3 types them, and the bare-comment queue that tells `#` from `# `.
 */

import { isScalar, Lexer, type Node as YamlNode } from 'yaml';
import { FormatError } from '../../errors.js';
import type { Node } from '../tree.js';
import { resolvePlain } from './yaml-scalars.js';

const TAG = 'tag:yaml.org,2002:';

/**
 * The yaml library reports both `#` and `# ` as the comment text " "; yaml.v3 (and
 * so sops) keeps them apart ("" and " "). This queue holds the source of every such
 * comment in document order, so each " " can be told back.
 */
export class BareComments {
  private readonly queue: string[] = [];

  constructor(source: string) {
    if (!/#[ ]?\r?$/m.test(source)) return;
    for (const token of new Lexer().lex(source)) if (token === '#' || token === '# ') this.queue.push(token);
  }

  text(line: string): string {
    if (line !== ' ') return line;
    return this.queue.shift() === '#' ? '' : ' ';
  }
}

/**
 * A scalar node as a tree scalar, typed as yaml.v3 types it: plain text is resolved
 * (ints, floats, bools, nulls, timestamps), quoted and block text stays a string,
 * explicit `!!str`/`!!int`/… tags are honoured, and `!!binary` is decoded to text.
 */
export function scalarNode(node: YamlNode, where: string): Node {
  if (!isScalar(node)) throw new FormatError(`yaml: ${where}: unexpected node`);
  const tag = node.tag?.startsWith(TAG) ? node.tag.slice(TAG.length) : node.tag;
  if (tag === 'binary') {
    const text = String(node.source ?? '').replace(/\s+/g, '');
    if (!(node.value instanceof Uint8Array) || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
      throw new FormatError(`yaml: ${where}: !!binary value contains invalid base64 data`);
    }
    return { t: 'str', v: new TextDecoder('utf-8', { ignoreBOM: true }).decode(node.value) };
  }
  const text = typeof node.value === 'string' ? node.value : String(node.source ?? '');
  if (tag === 'str') return { t: 'str', v: text };
  if (node.type === 'PLAIN' || tag === 'int' || tag === 'float' || tag === 'bool' || tag === 'null') {
    return resolvePlain(text);
  }
  return { t: 'str', v: text };
}
