/**
 * Depth-first walk over a tree in document order, as sops's walkBranch does: it
 * tracks the path of map keys (list indexes add nothing) and the comment stack that
 * the comment selection rules look at, and lets a visitor replace every leaf.
 */

import type { CommentNode, MapEntry, MapNode, Node, Scalar, SeqNode, Tree } from './tree.js';

export interface Visit {
  /** Map keys from the document root to the value. */
  path: readonly string[];
  /** Comments seen above this value at every nesting level (for a comment: itself last). */
  comments: readonly string[];
  /** The value is a list item. */
  inSeq?: boolean;
}

export type Visitor = (node: Scalar | CommentNode, at: Visit) => Scalar | CommentNode;

export function walkTree(tree: Tree, visit: Visitor): Tree {
  return { documents: tree.documents.map((doc) => walkMap(doc, [], [], visit)) };
}

function walkMap(map: MapNode, path: string[], stack: string[][], visit: Visitor): MapNode {
  const level: string[] = [];
  const levels = [...stack, level];
  const items: (MapEntry | CommentNode)[] = [];
  for (const item of map.items) {
    if ('t' in item) {
      level.push(item.v);
      items.push(visit(item, { path, comments: levels.flat() }) as CommentNode);
      continue;
    }
    const childPath = [...path, item.key];
    items.push({ key: item.key, value: walkNode(item.value, childPath, levels, visit) });
    level.length = 0;
  }
  return { t: 'map', items };
}

function walkSeq(seq: SeqNode, path: string[], stack: string[][], visit: Visitor): SeqNode {
  const level: string[] = [];
  const levels = [...stack, level];
  const items: Node[] = [];
  for (const item of seq.items) {
    if (item.t === 'comment') {
      level.push(item.v);
      items.push(visit(item, { path, comments: levels.flat() }));
      continue;
    }
    items.push(walkNode(item, path, levels, visit, true));
    level.length = 0;
  }
  return { t: 'seq', items };
}

function walkNode(node: Node, path: string[], levels: string[][], visit: Visitor, inSeq = false): Node {
  switch (node.t) {
    case 'map':
      return walkMap(node, path, levels, visit);
    case 'seq':
      return walkSeq(node, path, levels, visit);
    default:
      return visit(node, inSeq ? { path, comments: levels.flat(), inSeq } : { path, comments: levels.flat() });
  }
}
