/**
 * Tree paths as sops writes them for --extract, set and unset: `["key"][0]['x']`.
 * String parts are map keys (quotes cut off, no escaping), bare parts are list
 * indexes. Lookups never create anything; `setAt` creates missing maps.
 */

import { FormatError, KeywardError } from '../errors.js';
import { isComment, type MapNode, type Node } from './tree.js';

export type PathPart = string | number;

export function parseTreePath(text: string): PathPart[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (!trimmed.startsWith('['))
    throw new KeywardError('usage', `invalid tree path ${JSON.stringify(text)}: it must look like ["key"][0]`);
  const parts: PathPart[] = [];
  for (const piece of trimmed.slice(1).split('[')) {
    if (!piece.endsWith(']')) throw new KeywardError('usage', `invalid tree path ${JSON.stringify(text)}: missing ]`);
    const inner = piece.slice(0, -1);
    const quote = inner.charAt(0);
    if ((quote === '"' || quote === "'") && inner.endsWith(quote) && inner.length >= 2) parts.push(inner.slice(1, -1));
    else if (/^\d+$/.test(inner)) parts.push(Number(inner));
    else
      throw new KeywardError(
        'usage',
        `invalid tree path ${JSON.stringify(text)}: ${JSON.stringify(inner)} is neither a quoted key nor an index`,
      );
  }
  return parts;
}

const label = (path: readonly PathPart[]) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `["${p}"]`)).join('');

function child(node: Node, part: PathPart): Node | undefined {
  if (typeof part === 'number') {
    if (node.t !== 'seq') return undefined;
    return node.items.filter((n) => n.t !== 'comment')[part];
  }
  if (node.t !== 'map') return undefined;
  for (const item of node.items) if (!isComment(item) && item.key === part) return item.value;
  return undefined;
}

/** The node at `path` in a document, or a FormatError naming the path. */
export function getAt(doc: MapNode, path: readonly PathPart[]): Node {
  let node: Node = doc;
  for (const [i, part] of path.entries()) {
    const next = child(node, part);
    if (next === undefined) throw new KeywardError('usage', `component ${label(path.slice(0, i + 1))} not found`);
    node = next;
  }
  return node;
}

/** Sets the value at `path`, creating missing map levels; returns the previous value if any. */
export function setAt(doc: MapNode, path: readonly PathPart[], value: Node): Node | undefined {
  if (path.length === 0) throw new FormatError('set: the path must name at least one key');
  let node: Node = doc;
  for (const [i, part] of path.entries()) {
    const last = i === path.length - 1;
    if (typeof part === 'number') {
      if (node.t !== 'seq') throw new KeywardError('usage', `set: ${label(path.slice(0, i))} is not a list`);
      const indexes = node.items.flatMap((n, at) => (n.t === 'comment' ? [] : [at]));
      const at = indexes[part];
      if (at === undefined) {
        if (part !== indexes.length)
          throw new KeywardError('usage', `set: index ${label(path.slice(0, i + 1))} is out of range`);
        node.items.push(last ? value : { t: 'map', items: [] });
        if (last) return undefined;
        node = node.items[node.items.length - 1] as Node;
        continue;
      }
      const previous = node.items[at] as Node;
      if (last) {
        node.items[at] = value;
        return previous;
      }
      node = previous;
      continue;
    }
    if (node.t !== 'map') throw new KeywardError('usage', `set: ${label(path.slice(0, i))} is not a map`);
    const entry = node.items.find((item) => !isComment(item) && item.key === part);
    if (entry && !isComment(entry)) {
      if (last) {
        const previous = entry.value;
        entry.value = value;
        return previous;
      }
      node = entry.value;
      continue;
    }
    const created: Node = last ? value : { t: 'map', items: [] };
    node.items.push({ key: part, value: created });
    if (last) return undefined;
    node = created;
  }
  return undefined;
}

/** Removes the value at `path`; returns false when it did not exist. */
export function unsetAt(doc: MapNode, path: readonly PathPart[]): boolean {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  if (last === undefined) throw new FormatError('unset: the path must name at least one key');
  let parent: Node;
  try {
    parent = getAt(doc, parentPath);
  } catch {
    return false;
  }
  if (typeof last === 'number' && parent.t === 'seq') {
    const indexes = parent.items.flatMap((n, at) => (n.t === 'comment' ? [] : [at]));
    const at = indexes[last];
    if (at === undefined) return false;
    parent.items.splice(at, 1);
    return true;
  }
  if (typeof last === 'string' && parent.t === 'map') {
    const before = parent.items.length;
    parent.items = parent.items.filter((item) => isComment(item) || item.key !== last);
    return parent.items.length !== before;
  }
  return false;
}
