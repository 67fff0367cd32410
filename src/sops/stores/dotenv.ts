/**
 * dotenv store (sops 3.13): `KEY=VALUE` and `#comment` lines, no quoting or
 * trimming, `\n` escapes for newlines; the metadata is flattened into
 * `sops_*` lines after the data.
 */

import { FormatError } from '../../errors.js';
import type { MapEntry, MapNode, Node } from '../tree.js';
import { flattenMetadata, unflattenMetadata, valToString } from './flatten.js';
import type { Store } from './store.js';

const PREFIX = 'sops_';
const utf8 = new TextEncoder();
// ignoreBOM keeps a byte-order mark as part of the first key, as sops does.
const decode = (input: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(input);

/** Parses dotenv text: every line is a comment, `KEY=VALUE` or empty. */
export function parseDotenv(text: string): MapNode {
  const doc: MapNode = { t: 'map', items: [] };
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    if (line.startsWith('#')) {
      doc.items.push({ t: 'comment', v: line.slice(1) });
      return;
    }
    const eq = line.indexOf('=');
    if (eq === -1) throw new FormatError(`dotenv: line ${i + 1}: expected KEY=VALUE or a #comment`);
    doc.items.push({ key: line.slice(0, eq), value: { t: 'str', v: line.slice(eq + 1).replaceAll('\\n', '\n') } });
  });
  return doc;
}

function lineOf(entry: MapEntry): string {
  const { key, value } = entry;
  if (value.t === 'map' || value.t === 'seq') {
    throw new FormatError(`dotenv: cannot use complex value in dotenv file; offending key ${JSON.stringify(key)}`);
  }
  const text = value.t === 'str' || value.t === 'comment' ? value.v.replaceAll('\n', '\\n') : valToString(value);
  return `${key}=${text}\n`;
}

/** Writes one document as dotenv lines (sops writes only the first document). */
function emitDotenv(doc: MapNode | undefined, extra: readonly string[] = []): Uint8Array {
  let out = '';
  for (const item of doc?.items ?? []) out += 't' in item ? `#${item.v}\n` : lineOf(item);
  return utf8.encode(out + extra.join(''));
}

export const dotenvStore: Store = {
  format: 'dotenv',
  parsePlain: (input) => [parseDotenv(decode(input))],
  parseEncrypted(input) {
    const doc = parseDotenv(decode(input));
    const flat: { key: string; value: string }[] = [];
    doc.items = doc.items.filter((item) => {
      if ('t' in item || !item.key.startsWith(PREFIX)) return true;
      flat.push({ key: item.key.slice(PREFIX.length), value: item.value.t === 'str' ? item.value.v : '' });
      return false;
    });
    const metadata = flat.length === 0 ? undefined : unflattenMetadata(flat, 'dotenv');
    return { documents: [doc], metadata };
  },
  emitPlain: (documents) => emitDotenv(documents[0]),
  emitEncrypted(documents, metadata) {
    for (const doc of documents) {
      for (const item of doc.items) {
        if (!('t' in item) && item.key.startsWith(PREFIX)) {
          throw new FormatError(`dotenv: a data key starts with ${PREFIX}, which is reserved for the sops metadata`);
        }
      }
    }
    const lines = flattenMetadata(metadata, PREFIX, 'dotenv').map(
      (e) => `${e.key}=${e.value.replaceAll('\n', '\\n')}\n`,
    );
    return emitDotenv(documents[0], lines);
  },
  emitValue(node: Node) {
    if (node.t === 'map') return emitDotenv(node);
    if (node.t === 'str') return utf8.encode(node.v);
    throw new FormatError('dotenv: only strings and maps can be written as a single value');
  },
};
