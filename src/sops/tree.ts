/**
 * The ordered document tree. Never plain JS objects: they move integer-like keys
 * first, which would change output order and the MAC. Scalars keep their SOPS type
 * (str, int, float, bool, time) so `type:` tags and MAC bytes match sops.
 */

export interface StrNode {
  t: 'str';
  v: string;
}
/** Raw bytes stored as a SOPS `str` (binary store) or the legacy `bytes` type. */
export interface BytesNode {
  t: 'bytes';
  v: Uint8Array;
}
export interface IntNode {
  t: 'int';
  v: bigint;
}
export interface FloatNode {
  t: 'float';
  v: number;
}
export interface BoolNode {
  t: 'bool';
  v: boolean;
}
/** A timestamp, kept as its RFC3339Nano text (sops's `time.MarshalText`). */
export interface TimeNode {
  t: 'time';
  v: string;
}
export interface NullNode {
  t: 'null';
}
/** A comment line (text after the leading `#`). `inline` marks a same-line comment. */
export interface CommentNode {
  t: 'comment';
  v: string;
  inline?: boolean;
}
export interface MapEntry {
  key: string;
  value: Node;
}
export interface MapNode {
  t: 'map';
  items: (MapEntry | CommentNode)[];
}
export interface SeqNode {
  t: 'seq';
  items: Node[];
}

export type Scalar = StrNode | BytesNode | IntNode | FloatNode | BoolNode | TimeNode | NullNode;
export type Node = Scalar | CommentNode | MapNode | SeqNode;

/** A file: one or more documents (YAML streams have several). */
export interface Tree {
  documents: MapNode[];
}

export const str = (v: string): StrNode => ({ t: 'str', v });
export const comment = (v: string, inline = false): CommentNode =>
  inline ? { t: 'comment', v, inline } : { t: 'comment', v };
export const emptyMap = (): MapNode => ({ t: 'map', items: [] });

export function isComment(item: MapEntry | Node): item is CommentNode {
  return 't' in item && item.t === 'comment';
}

/** The entry of `key` in a map, skipping comments. */
export function getEntry(map: MapNode, key: string): MapEntry | undefined {
  for (const item of map.items) {
    if (!isComment(item) && item.key === key) return item;
  }
  return undefined;
}

/** Removes every entry named `key`, returning the first one's value. */
export function takeEntry(map: MapNode, key: string): Node | undefined {
  let found: Node | undefined;
  map.items = map.items.filter((item) => {
    if (isComment(item) || item.key !== key) return true;
    found ??= item.value;
    return false;
  });
  return found;
}

/** Converts a tree node into plain data (for metadata reading and JSON-ish use). */
export function toPlain(node: Node): unknown {
  switch (node.t) {
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const item of node.items) if (!isComment(item)) out[item.key] = toPlain(item.value);
      return out;
    }
    case 'seq':
      return node.items.filter((n) => n.t !== 'comment').map(toPlain);
    case 'null':
      return null;
    case 'int':
      return Number.isSafeInteger(Number(node.v)) ? Number(node.v) : node.v;
    case 'bytes':
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(node.v);
    default:
      return node.v;
  }
}
