/**
 * INI store (sops 3.13 over go-ini v1.67): sections become top-level maps of
 * string values; the metadata is a `[sops]` section of flattened names with
 * newlines written as `\n`. Parsing is in ini-parse.ts, writing in ini-emit.ts.
 */

import { FormatError } from '../../errors.js';
import type { MapNode, Node } from '../tree.js';
import { formatFloat } from '../values.js';
import { type FlatEntry, flattenMetadata, unflattenMetadata } from './flatten.js';
import { type OutSection, sectionsFromTree, writeIni } from './ini-emit.js';
import { parseIniSections, treeFromSections } from './ini-parse.js';
import type { Store } from './store.js';

const SOPS = 'sops';
const utf8 = new TextEncoder();

/** Decodes UTF-8 after dropping a byte-order mark the way go-ini does (UTF-16 marks too). */
function decode(input: Uint8Array): string {
  let start = 0;
  if (input.length >= 2 && ((input[0] === 0xfe && input[1] === 0xff) || (input[0] === 0xff && input[1] === 0xfe))) {
    start = 2;
  } else if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) start = 3;
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(input.subarray(start));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string as Go's encoding/json writes it (HTML-safe escapes, U+2028/9 escaped). */
function goJsonString(s: string): string {
  return JSON.stringify(s.replace(LONE_SURROGATE, '\ufffd')).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A value as sops's INI EmitValue writes it: Go `json.Marshal` of the sops tree value. */
function goJson(node: Node): string {
  switch (node.t) {
    case 'map': {
      const items = node.items.map((item) =>
        't' in item
          ? `{"Key":${goJson(item)},"Value":null}`
          : `{"Key":${goJsonString(item.key)},"Value":${goJson(item.value)}}`,
      );
      return `[${items.join(',')}]`;
    }
    case 'seq':
      return `[${node.items.map(goJson).join(',')}]`;
    case 'comment':
      return `{"Value":${goJsonString(node.v)}}`;
    case 'str':
    case 'time':
      return goJsonString(node.v);
    case 'bytes':
      return `"${Buffer.from(node.v).toString('base64')}"`;
    case 'int':
      return node.v.toString();
    case 'bool':
      return node.v ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'float': {
      if (!Number.isFinite(node.v)) throw new FormatError('ini: cannot write NaN or infinity as a json value');
      const abs = Math.abs(node.v);
      return abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? String(node.v) : formatFloat(node.v);
    }
  }
}

function metadataSection(metadata: MapNode): OutSection {
  const keys = flattenMetadata(metadata, '', 'ini').map((e) => ({
    name: e.key,
    value: e.value.replaceAll('\n', '\\n'),
    comment: '',
  }));
  return { name: SOPS, comment: '', keys };
}

export const iniStore: Store = {
  format: 'ini',
  parsePlain: (input) => [treeFromSections(parseIniSections(decode(input)))],
  parseEncrypted(input) {
    const sections = parseIniSections(decode(input));
    const meta = sections.filter((s) => s.name === SOPS);
    if (meta.length > 1) throw new FormatError('ini: found more than one [sops] section');
    const document = treeFromSections(sections.filter((s) => s.name !== SOPS));
    const [section] = meta;
    if (!section) return { documents: [document], metadata: undefined };
    const flat: FlatEntry[] = [...section.keys].map(([key, { value }]) => ({
      key,
      value: value.replaceAll('\\n', '\n'),
    }));
    return { documents: [document], metadata: unflattenMetadata(flat, 'ini') };
  },
  emitPlain: (documents) => utf8.encode(writeIni(sectionsFromTree(documents))),
  emitEncrypted(documents, metadata) {
    const docs = documents.length > 0 ? documents : [{ t: 'map' as const, items: [] }];
    const sops = metadataSection(metadata);
    const sections: OutSection[] = [];
    for (const doc of docs) {
      if (doc.items.some((item) => !('t' in item) && item.key === SOPS)) {
        throw new FormatError('ini: the data has a section named sops, which is reserved for the metadata');
      }
      sections.push(...sectionsFromTree([doc]), sops);
    }
    return utf8.encode(writeIni(sections));
  },
  emitValue: (node) => utf8.encode(node.t === 'map' ? writeIni(sectionsFromTree([node])) : goJson(node)),
};
