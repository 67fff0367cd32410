/**
 * Binary store: a plaintext file is any bytes, kept whole (not decoded as UTF-8)
 * as the single value `data`; the encrypted file is the JSON envelope
 * `{"data": "ENC[…]", "sops": {…}}` read and written by the JSON store. Decrypting
 * writes the raw bytes of `data` back, with nothing added.
 */

import { FormatError, KeywardError } from '../../errors.js';
import { getEntry } from '../tree.js';
import { jsonStore } from './json.js';
import type { Store } from './store.js';

/** The key that holds the whole file. */
export const BINARY_KEY = 'data';

const utf8 = new TextEncoder();

export const binaryStore: Store = {
  format: 'binary',
  parsePlain: (input) => [{ t: 'map', items: [{ key: BINARY_KEY, value: { t: 'bytes', v: new Uint8Array(input) } }] }],
  parseEncrypted: (input) => jsonStore.parseEncrypted(input),
  emitPlain(documents) {
    const [doc] = documents;
    if (documents.length !== 1 || doc === undefined) {
      throw new FormatError(`binary: expected exactly one document, got ${documents.length}`);
    }
    const value = getEntry(doc, BINARY_KEY)?.value;
    if (value === undefined) throw new FormatError('binary: no binary data found (the file has no data key)');
    if (value.t === 'bytes') return new Uint8Array(value.v);
    if (value.t === 'str') return utf8.encode(value.v);
    throw new FormatError('binary: the data key does not hold a string value');
  },
  emitEncrypted: (documents, metadata, options) => jsonStore.emitEncrypted(documents, metadata, options),
  emitValue() {
    throw new KeywardError('usage', 'binary: --extract is not possible for binary files');
  },
};
