/**
 * JSON store (sops 3.13.2 behaviour): one top-level object per file, key order and
 * duplicate keys kept, int64 literals typed `int` and other numbers `float`; the
 * metadata is the top-level `sops` key, written last. Reading is in json-parse.ts,
 * writing in json-emit.ts.
 */

import { FormatError } from '../../errors.js';
import { type MapNode, takeEntry, toPlain } from '../tree.js';
import { emitJsonDocument, emitJsonValue } from './json-emit.js';
import { parseJson } from './json-parse.js';
import type { Store } from './store.js';

export { emitJsonDocument, emitJsonValue, formatJsonFloat, quoteJson } from './json-emit.js';
export { MAX_DEPTH, parseJson } from './json-parse.js';

const utf8 = new TextEncoder();

/** JSON holds exactly one document. */
function single(documents: readonly MapNode[]): MapNode {
  const [doc] = documents;
  if (documents.length !== 1 || doc === undefined) {
    throw new FormatError(`json: a JSON file holds exactly one document, got ${documents.length}`);
  }
  return doc;
}

export const jsonStore: Store = {
  format: 'json',
  parsePlain: (input) => [parseJson(input)],
  parseEncrypted(input) {
    const doc = parseJson(input);
    const meta = takeEntry(doc, 'sops');
    return { documents: [doc], metadata: meta === undefined ? undefined : toPlain(meta) };
  },
  emitPlain: (documents, options) => utf8.encode(emitJsonDocument(single(documents), options)),
  emitEncrypted(documents, metadata, options) {
    const doc = single(documents);
    const withMeta: MapNode = { t: 'map', items: [...doc.items, { key: 'sops', value: metadata }] };
    return utf8.encode(emitJsonDocument(withMeta, options));
  },
  emitValue: (node, options) => utf8.encode(emitJsonValue(node, options)),
};
