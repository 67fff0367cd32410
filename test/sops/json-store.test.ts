/**
 * JSON store: reading (order, duplicates, int/float typing, Go string decoding,
 * errors that never quote the input) and writing (json.Marshal escapes, Go float
 * format, json.Indent layout), checked byte for byte against the real sops 3.13.2.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, MacMismatchError } from '../../src/errors.js';
import { formatSealed, isEncrypted, parseSealed, seal } from '../../src/sops/cipher.js';
import { decryptTree } from '../../src/sops/decrypt.js';
import { sealMac } from '../../src/sops/mac.js';
import { readMetadata } from '../../src/sops/metadata.js';
import { metadataTree } from '../../src/sops/metadata-tree.js';
import { emitJsonValue, jsonStore, MAX_DEPTH, parseJson, quoteJson } from '../../src/sops/stores/json.js';
import { getEntry, type MapNode, type Node } from '../../src/sops/tree.js';
import { scalarType } from '../../src/sops/values.js';
import { walkTree } from '../../src/sops/walk.js';
import { testContext } from '../helpers/context.js';
import { CONFORMANCE, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const emit = (doc: MapNode, indent?: number) => text(jsonStore.emitPlain([doc], { indent }));
const keys = (map: MapNode) => map.items.map((item) => ('key' in item ? item.key : '#'));
/** The value of `v` in `{"v": <json>}`. */
const parsedValue = (json: string): Node | undefined => getEntry(parseJson(`{"v": ${json}}`), 'v')?.value;
const str = (v: string): Node => ({ t: 'str', v });
const doc = (...entries: [string, Node][]): MapNode => ({
  t: 'map',
  items: entries.map(([key, value]) => ({ key, value })),
});

describe('JSON store: reading', () => {
  it('keeps key order, integer-like keys included, and keeps duplicate keys', () => {
    const parsed = parseJson('{"b": 1, "10": 2, "a": 3, "1": 4, "b": 5}');
    expect(keys(parsed)).toEqual(['b', '10', 'a', '1', 'b']);
    expect(emit(parsed)).toBe('{\n\t"b": 1,\n\t"10": 2,\n\t"a": 3,\n\t"1": 4,\n\t"b": 5\n}\n');
  });

  it.each([
    ['1', { t: 'int', v: 1n }],
    ['-0', { t: 'int', v: 0n }],
    ['9007199254740993', { t: 'int', v: 9007199254740993n }],
    ['9223372036854775807', { t: 'int', v: 9223372036854775807n }],
    ['-9223372036854775808', { t: 'int', v: -9223372036854775808n }],
    ['9223372036854775808', { t: 'float', v: 2 ** 63 }],
    ['-9223372036854775809', { t: 'float', v: -(2 ** 63) }],
    ['123456789012345678901234', { t: 'float', v: Number('123456789012345678901234') }],
    ['1.0', { t: 'float', v: 1 }],
    ['1e3', { t: 'float', v: 1000 }],
    ['1E+2', { t: 'float', v: 100 }],
    ['2.5', { t: 'float', v: 2.5 }],
    ['-0.0', { t: 'float', v: -0 }],
    ['1e-400', { t: 'float', v: 0 }],
    ['null', { t: 'null' }],
    ['true', { t: 'bool', v: true }],
    ['false', { t: 'bool', v: false }],
    ['"5"', { t: 'str', v: '5' }],
    ['[]', { t: 'seq', items: [] }],
    ['{}', { t: 'map', items: [] }],
    [
      '[1, [true]]',
      {
        t: 'seq',
        items: [
          { t: 'int', v: 1n },
          { t: 'seq', items: [{ t: 'bool', v: true }] },
        ],
      },
    ],
  ])('types %s like sops 3.13.2', (json, expected) => {
    expect(parsedValue(json)).toEqual(expected);
  });

  it.each([
    [String.raw`"\"\\\/\b\f\n\r\t"`, '"\\/\b\f\n\r\t'],
    [String.raw`"\u0041\u00e9\u2028\u0000"`, 'A\u00e9\u2028\u0000'],
    [String.raw`"\ud83d\ude00 \uD83D\uDE00"`, '\u{1F600} \u{1F600}'],
    [String.raw`"\ud800x \udc00 \ud800\u0041 \ud800\ud800\udc00"`, '\ufffdx \ufffd \ufffdA \ufffd\u{10000}'],
    ['"é 😀 \u007f \ufeff"', 'é 😀 \u007f \ufeff'],
  ])('decodes the string %s like Go', (json, expected) => {
    expect(parsedValue(json)).toEqual(str(expected));
  });

  it('replaces every byte of invalid UTF-8 with U+FFFD, as Go does', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"k": "a'),
      Buffer.from([0xe2, 0x82, 0x5a, 0xff, 0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]);
    expect(getEntry(parseJson(bytes), 'k')?.value).toEqual(str('a\ufffd\ufffdZ\ufffd\ufffd\ufffd\ufffd'));
  });

  const CANARY = 'CANARY-hunter2';
  it.each([
    ['', /^json: the input is empty$/],
    [`["${CANARY}"]`, /^json: the top level must be an object$/],
    [`"${CANARY}"`, /^json: the top level must be an object$/],
    [`\ufeff{"a": "${CANARY}"}`, /^json: the top level must be an object$/],
    [`{"a": "${CANARY}"} ${CANARY}`, /^json: unexpected data after the top-level object at line 1, column \d+$/],
    [`{"a": "${CANARY}\\x"}`, /^json: invalid escape in a string at line 1, column 22$/],
    [`{"a": "${CANARY}\\u12G4"}`, /^json: invalid escape/],
    [`{"a": "${CANARY}\t"}`, /^json: control character in a string at line 1, column 22$/],
    [`{"a": "${CANARY}`, /^json: unexpected end of input \(unterminated string\)$/],
    [`{\n"a": ${CANARY}}`, /^json: expected a value at line 2, column 6$/],
    [`{"a": 01, "b": "${CANARY}"}`, /^json: expected a comma or \} at line 1, column 8$/],
    [`{"a": -, "b": "${CANARY}"}`, /^json: invalid number/],
    [`{"a": 1., "b": "${CANARY}"}`, /^json: expected a comma/],
    [`{"a": 1e400, "b": "${CANARY}"}`, /^json: number out of range at line 1, column 7$/],
    [`{"a": "${CANARY}",}`, /^json: expected a string key/],
    [`{"${CANARY}" 1}`, /^json: expected a colon/],
    [`{"a": [1 2], "b": "${CANARY}"}`, /^json: expected a comma or \]/],
    [`{'a': "${CANARY}"}`, /^json: expected a string key/],
    [`{"a": True, "b": "${CANARY}"}`, /^json: expected a value/],
    [`{"a": NaN, "b": "${CANARY}"}`, /^json: expected a value/],
  ])('rejects %j with a message that does not quote the input', (input, message) => {
    expect(() => parseJson(input)).toThrow(FormatError);
    expect(() => parseJson(input)).toThrow(message);
    expect(() => parseJson(input)).not.toThrow(/CANARY|hunter2/);
  });

  it(`limits nesting to ${MAX_DEPTH} levels without overflowing the stack`, () => {
    const nested = (levels: number, open = '[', close = ']') =>
      `{"a": ${open.repeat(levels - 1)}"CANARY"${close.repeat(levels - 1)}}`;
    expect(() => parseJson(nested(MAX_DEPTH))).not.toThrow();
    expect(() => parseJson(nested(MAX_DEPTH + 1))).toThrow(/^json: nesting deeper than 256 levels at line 1, column/);
    expect(() => parseJson(`{"a": ${'{"b": '.repeat(MAX_DEPTH)}1${'}'.repeat(MAX_DEPTH)}}`)).toThrow(FormatError);
    expect(() => parseJson(nested(1_000_000))).toThrow(/nesting deeper/);
  });

  it('parseEncrypted takes the top-level sops key off as plain data', () => {
    const input = '{"a": {"sops": 1}, "sops": {"version": "3.13.2", "shamir_threshold": 2, "kms": null}, "b": 2}';
    const parsed = jsonStore.parseEncrypted(Buffer.from(input));
    expect(parsed.metadata).toEqual({ version: '3.13.2', shamir_threshold: 2, kms: null });
    expect(emit(parsed.documents[0] ?? doc())).toBe('{\n\t"a": {\n\t\t"sops": 1\n\t},\n\t"b": 2\n}\n');
    expect(jsonStore.parseEncrypted(Buffer.from('{"a": 1}')).metadata).toBeUndefined();
    expect(jsonStore.parsePlain(Buffer.from('{"sops": 1}'))[0]).toEqual(doc(['sops', { t: 'int', v: 1n }]));
  });
});

describe('JSON store: writing', () => {
  const sample = parseJson('{"a": {"b": [1, {}, []], "c": {}}, "d": []}');

  it('lays out like json.Indent: a tab by default, -1 = tab, 0 = bare newlines, n spaces', () => {
    const tab = '{\n\t"a": {\n\t\t"b": [\n\t\t\t1,\n\t\t\t{},\n\t\t\t[]\n\t\t],\n\t\t"c": {}\n\t},\n\t"d": []\n}\n';
    expect(emit(sample)).toBe(tab);
    expect(emit(sample, -1)).toBe(tab);
    expect(emit(sample, 0)).toBe('{\n"a": {\n"b": [\n1,\n{},\n[]\n],\n"c": {}\n},\n"d": []\n}\n');
    expect(emit(sample, 2)).toBe(tab.replaceAll('\t', '  '));
    expect(emit(doc())).toBe('{}\n');
    expect(() => emit(sample, -2)).toThrow(/^json: indentation must be -1 or more$/);
  });

  it.each([
    ['<a&b>', String.raw`"\u003ca\u0026b\u003e"`],
    ['\u2028\u2029', String.raw`"\u2028\u2029"`],
    ['\u0000\u0001\u001f\u000b', String.raw`"\u0000\u0001\u001f\u000b"`],
    ['\b\f\n\r\t', String.raw`"\b\f\n\r\t"`],
    ['"\\/', String.raw`"\"\\/"`],
    ['\u007f é 😀 \ufeff \ufffd', '"\u007f é 😀 \ufeff \ufffd"'],
    ['\ud800x\udc00 \udbff', String.raw`"\ufffdx\ufffd \ufffd"`],
  ])('escapes %j like json.Marshal', (value, json) => {
    expect(quoteJson(value)).toBe(json);
    expect(emit(doc([value, str(value)]))).toBe(`{\n\t${json}: ${json}\n}\n`);
  });

  it.each([
    [1, '1'],
    [2.5, '2.5'],
    [-0, '-0'],
    [0.1, '0.1'],
    [1e-6, '0.000001'],
    [9.99e-7, '9.99e-7'],
    [-1e-7, '-1e-7'],
    [5e-324, '5e-324'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [Number('123456789012345678901234'), '1.2345678901234569e+23'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [2 ** 63, '9223372036854776000'],
    [123456789.123, '123456789.123'],
    [1234568000, '1234568000'],
    [-1.0590551977833753e-78, '-1.0590551977833753e-78'],
  ])('writes float %d as encoding/json does: %s', (v, expected) => {
    expect(emit(doc(['f', { t: 'float', v }]))).toBe(`{\n\t"f": ${expected}\n}\n`);
  });

  it('writes ints, bools, null, bytes and times; refuses NaN and infinities', () => {
    const bytes = new Uint8Array([0x61, 0xe2, 0x82, 0x5a, 0xff, 0xc3, 0xa9, 0x3c]);
    const out = emit(
      doc(
        ['i', { t: 'int', v: -9223372036854775808n }],
        ['b', { t: 'bool', v: false }],
        ['n', { t: 'null' }],
        ['raw', { t: 'bytes', v: bytes }],
        ['when', { t: 'time', v: '2024-01-01T00:00:00Z' }],
      ),
    );
    expect(out).toBe(
      '{\n\t"i": -9223372036854775808,\n\t"b": false,\n\t"n": null,\n\t"raw": "a\\ufffd\\ufffdZ\\ufffdé\\u003c",\n\t"when": "2024-01-01T00:00:00Z"\n}\n',
    );
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => emit(doc(['secret', { t: 'float', v }]))).toThrow(/^json: NaN and infinite numbers/);
    }
  });

  it('drops comments from maps and lists', () => {
    const withComments = parseJson('{"l": [], "m": ["x"]}');
    const [l, m] = withComments.items.map((item) => ('value' in item ? item.value : item));
    if (l?.t !== 'seq' || m?.t !== 'seq') throw new Error('lists expected');
    withComments.items.splice(1, 0, { t: 'comment', v: ' between' });
    withComments.items.push({ t: 'comment', v: ' end' });
    l.items.push({ t: 'comment', v: ' only a comment' });
    m.items.unshift({ t: 'comment', v: 'c' });
    m.items.push({ t: 'comment', v: 'd', inline: true });
    expect(emit(withComments)).toBe('{\n\t"l": [],\n\t"m": [\n\t\t"x"\n\t]\n}\n');
    expect(() => emitJsonValue({ t: 'comment', v: 'c' })).toThrow(FormatError);
  });

  it('emitEncrypted writes the metadata as the last key; JSON holds exactly one document', () => {
    const meta = doc(['lastmodified', str('2026-01-01T00:00:00Z')], ['version', str('3.13.2')]);
    const out = text(jsonStore.emitEncrypted([doc(['z', str('ENC[x]')])], meta, { indent: 1 }));
    expect(out).toBe(
      '{\n "z": "ENC[x]",\n "sops": {\n  "lastmodified": "2026-01-01T00:00:00Z",\n  "version": "3.13.2"\n }\n}\n',
    );
    for (const docs of [[], [doc(), doc()]]) {
      expect(() => jsonStore.emitPlain(docs, {})).toThrow(/^json: a JSON file holds exactly one document/);
      expect(() => jsonStore.emitEncrypted(docs, meta, {})).toThrow(FormatError);
    }
  });

  it('emitValue writes a map as a document and anything else bare, as sops --extract does', () => {
    const value = (node: Node, indent?: number) => text(jsonStore.emitValue(node, { indent }));
    expect(value(doc(['a', { t: 'int', v: 1n }]))).toBe('{\n\t"a": 1\n}\n');
    expect(value(doc())).toBe('{}\n');
    expect(value({ t: 'seq', items: [{ t: 'int', v: 1n }, doc(['b', str('<')])] }, 2)).toBe(
      '[\n  1,\n  {\n    "b": "\\u003c"\n  }\n]',
    );
    expect(value({ t: 'seq', items: [] })).toBe('[]');
    expect(value({ t: 'float', v: 1e-7 })).toBe('1e-7');
    expect(value({ t: 'null' })).toBe('null');
    expect(value(str('a"b'))).toBe('"a\\"b"');
  });
});

const dir = tempDir();
const env = { GNUPGHOME: join(dir, 'gnupg') };
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';

beforeAll(async () => {
  mkdirSync(env.GNUPGHOME, { mode: 0o700 });
  const keyFile = join(CONFORMANCE, 'keys', 'sops_functional_tests_key.asc');
  const imported = await run('gpg', ['--batch', '--import', keyFile], { env });
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(async () => {
  await run('gpgconf', ['--kill', 'gpg-agent'], { env });
});

async function sops(args: string[]): Promise<Buffer> {
  const ran = await run(toolPath('sops'), args, { env, cwd: dir });
  expect(ran.code, ran.stderr).toBe(0);
  return ran.stdoutBytes;
}

/** Parses with the JSON store and decrypts with a known data key. */
function decrypt(input: Uint8Array, key: Uint8Array) {
  const parsed = jsonStore.parseEncrypted(input);
  const metadata = readMetadata(parsed.metadata);
  const tree = decryptTree({ tree: { documents: parsed.documents }, metadata }, key, testContext().log);
  const [plain = doc()] = tree.documents;
  return { parsed, metadata, plain };
}

const hexKey = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const fixture = (name: string) => readFileSync(join(CONFORMANCE, name));

const DATA_KEYS: Record<string, string> = {
  'example.json': 'faf6a891866fac550ef548b4e5f6fbc98fccc6827cd943cc8d7539747f1d87bd',
  'format.enc.json': '9f6aeda6383502c38f7dae6fbbb8cb6890582adb0335effa8952fe590d7a9596',
  'secret.enc.json': '276343cf31746c1cc08d9d123c93d2d5d3abcb306f2505e568560e6d15e11fba',
  'static_github.json': '71efd79c6aef0d04b3c15b1d4a4662d0ad43634463b39f597bbde4ba7f9c184f',
};

describe('JSON store on real sops files', () => {
  it.each(Object.entries(DATA_KEYS))('%s decrypts (MAC checked) to what sops writes', async (name, key) => {
    const { plain } = decrypt(fixture(name), hexKey(key));
    expect(text(jsonStore.emitPlain([plain], {}))).toBe(text(await sops(['decrypt', join(CONFORMANCE, name)])));
  });

  // Files written before sops 3.10 have no trailing newline; re-emitting adds it.
  it.each(Object.keys(DATA_KEYS))('%s re-emits unchanged as plain JSON', (name) => {
    const original = fixture(name).toString('utf8');
    expect(text(jsonStore.emitPlain(jsonStore.parsePlain(fixture(name)), {}))).toBe(original.replace(/\n?$/, '\n'));
  });

  it('format.enc.json (sops 3.13.1) is rebuilt byte for byte from its tree and metadata', () => {
    const parsed = jsonStore.parseEncrypted(fixture('format.enc.json'));
    const out = jsonStore.emitEncrypted(parsed.documents, metadataTree(readMetadata(parsed.metadata)), {});
    expect(text(out)).toBe(fixture('format.enc.json').toString('utf8'));
  });

  it('example.json (sops 3.5.0): a float value, and the MAC follows list item order', () => {
    const key = hexKey(DATA_KEYS['example.json'] ?? '');
    const { plain, parsed, metadata } = decrypt(fixture('example.json'), key);
    expect(getEntry(plain, 'age')?.value).toEqual({ t: 'float', v: 25.4 });
    expect(getEntry(plain, 'anEmptyValue')?.value).toEqual(str(''));
    const phones = parsed.documents[0] && getEntry(parsed.documents[0], 'phoneNumbers')?.value;
    if (phones?.t !== 'seq') throw new Error('phoneNumbers should be a list');
    phones.items.reverse(); // both items decrypt (list items share the path) but the MAC order breaks
    const swapped = { tree: { documents: parsed.documents }, metadata };
    expect(() => decryptTree(swapped, key, testContext().log)).toThrow(MacMismatchError);
  });

  it('accepts integers that sops before 3.13.2 stored as type:float, and writes them back as 5', () => {
    const key = hexKey('11'.repeat(32));
    const lastmodified = '2024-01-01T00:00:00Z';
    const mac = sealMac(createHash('sha512').update('5').digest('hex').toUpperCase(), key, lastmodified);
    const metadata = { lastmodified, mac, pgp: [{ created_at: lastmodified, enc: 'x', fp: FP }], version: '3.12.0' };
    const file = JSON.stringify({ n: formatSealed(seal(key, Buffer.from('5'), 'n:', 'float')), sops: metadata });
    const { plain } = decrypt(Buffer.from(file), key);
    expect(getEntry(plain, 'n')?.value).toEqual({ t: 'float', v: 5 });
    expect(emit(plain)).toBe('{\n\t"n": 5\n}\n');
  });
});

const TRICKY = Buffer.concat([
  Buffer.from(String.raw`{"b": 1, "10": "x", "1": "y", "a": [1, 2.5, 1.0, 1e3, -0, -0.0, 1e-7, 1e21, 123456789012345678901234,
  9007199254740993, -9223372036854775808, 9223372036854775807, 9223372036854775808, 0.000001, 1E+2, 1e20, 1.5e300, 5e-324, 1e-400],
  "dup": 1, "dup": 2, "s": "<a&b> \u2028\u2029 \u0001 \b\f\n\r\t \"\\ \/ \ud800\u0041\udc00 \ud83d\ude00 é \u007f",
  "n": null, "t": true, "f": false, "e": {}, "l": [], "nested": [[], {}, [[1]], {"x": {"y": [null, false]}}],
  "emptystr": "", "u_unencrypted": {"keep": 3.25, "n": 7, "s": "<"}, "raw": "a`),
  Buffer.from([0xe2, 0x82, 0x5a, 0xff]),
  Buffer.from('"}'),
]);

function at(node: Node | undefined, steps: readonly (string | number)[]): Node {
  let current = node;
  for (const step of steps) {
    if (typeof step === 'number') current = current?.t === 'seq' ? current.items[step] : undefined;
    else current = current?.t === 'map' ? getEntry(current, step)?.value : undefined;
  }
  if (current === undefined) throw new Error('test path not found');
  return current;
}

describe('JSON store on a file encrypted now by sops 3.13.2', () => {
  const encPath = join(dir, 'tricky.enc.json');
  let encrypted: Buffer = Buffer.alloc(0);
  let plain = doc();

  beforeAll(async () => {
    writeFileSync(join(dir, 'tricky.json'), TRICKY);
    encrypted = await sops(['encrypt', '--pgp', FP, join(dir, 'tricky.json')]);
    writeFileSync(encPath, encrypted);
    const enc = readMetadata(jsonStore.parseEncrypted(encrypted).metadata).keyGroups[0]?.[0]?.enc ?? '';
    const unwrapped = await run('gpg', ['--batch', '--quiet', '--decrypt'], { env, input: enc });
    expect(unwrapped.code, unwrapped.stderr).toBe(0);
    plain = decrypt(encrypted, new Uint8Array(unwrapped.stdoutBytes)).plain;
  });

  it('types every value as sops does (the type: tags match one for one)', () => {
    const ours: string[] = [];
    walkTree({ documents: jsonStore.parsePlain(TRICKY) }, (node, where) => {
      const skipped = node.t === 'null' || (node.t === 'str' && node.v === '');
      if (node.t !== 'comment' && !skipped && !where.path.some((k) => k.endsWith('_unencrypted'))) {
        ours.push(scalarType(node));
      }
      return node;
    });
    const theirs: string[] = [];
    walkTree({ documents: jsonStore.parseEncrypted(encrypted).documents }, (node) => {
      if (node.t === 'str' && isEncrypted(node.v)) theirs.push(parseSealed(node.v, 'test').type);
      return node;
    });
    expect(ours).toEqual(theirs);
    expect(theirs.filter((t) => t === 'int')).toHaveLength(9);
    expect(theirs.filter((t) => t === 'float')).toHaveLength(14);
  });

  it('rebuilds the encrypted file byte for byte from its tree and metadata', () => {
    const parsed = jsonStore.parseEncrypted(encrypted);
    const out = jsonStore.emitEncrypted(parsed.documents, metadataTree(readMetadata(parsed.metadata)), {});
    expect(text(out)).toBe(encrypted.toString('utf8'));
  });

  it.each([[undefined], [-1], [0], [2], [4]])('writes the plaintext like sops with indent %s', async (indent) => {
    const flags = indent === undefined ? [] : ['--indent', String(indent)];
    const theirs = text(await sops([...flags, 'decrypt', encPath]));
    expect(text(jsonStore.emitPlain([plain], { indent }))).toBe(theirs);
    expect(text(jsonStore.emitPlain(jsonStore.parsePlain(TRICKY), { indent }))).toBe(theirs);
  });

  const PATHS = '["a"] ["a"][6] ["a"][7] ["b"] ["dup"] ["n"] ["t"] ["e"] ["l"] ["nested"] ["nested"][2] ["nested"][3]';
  it.each([...PATHS.split(' '), '["u_unencrypted"]'])('emitValue matches sops decrypt --extract %s', async (path) => {
    const theirs = await sops(['decrypt', '--extract', path, encPath]);
    const steps: (string | number)[] = JSON.parse(path.replaceAll('][', ','));
    expect(text(jsonStore.emitValue(at(plain, steps), {}))).toBe(text(theirs));
  });
});
