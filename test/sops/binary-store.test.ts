/**
 * Binary store: any bytes in, the same bytes out (never decoded as UTF-8), the JSON
 * envelope for encrypted files, and byte-for-byte agreement with the real sops 3.13.2.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, KeywardError } from '../../src/errors.js';
import { decryptTree } from '../../src/sops/decrypt.js';
import { readMetadata } from '../../src/sops/metadata.js';
import { metadataTree } from '../../src/sops/metadata-tree.js';
import { binaryStore } from '../../src/sops/stores/binary.js';
import { jsonStore } from '../../src/sops/stores/json.js';
import { getEntry, type MapNode, type Node } from '../../src/sops/tree.js';
import { testContext } from '../helpers/context.js';
import { CONFORMANCE, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

/** Invalid UTF-8 (a cut sequence, 0xff, an encoded surrogate), a BOM, NUL, CRLF, no final newline. */
const AWKWARD = new Uint8Array([
  0xef, 0xbb, 0xbf, 0x61, 0xe2, 0x82, 0x5a, 0xff, 0x00, 0x0d, 0x0a, 0xed, 0xa0, 0x80, 0xc3, 0xa9, 0x3c, 0x20,
]);
const doc = (value: Node): MapNode => ({ t: 'map', items: [{ key: 'data', value }] });
const plainOf = (docs: readonly MapNode[]) => Buffer.from(binaryStore.emitPlain(docs, {}));

describe('binary store', () => {
  it('reads any bytes, invalid UTF-8 included, as one document holding them under data', () => {
    const input = Buffer.from(AWKWARD);
    const docs = binaryStore.parsePlain(input);
    expect(docs).toEqual([doc({ t: 'bytes', v: AWKWARD })]);
    input[0] = 0; // the tree holds its own copy
    expect(docs).toEqual([doc({ t: 'bytes', v: AWKWARD })]);
    expect(binaryStore.parsePlain(new Uint8Array())).toEqual([doc({ t: 'bytes', v: new Uint8Array() })]);
  });

  it('writes exactly the bytes of data back, adding nothing', () => {
    expect(plainOf(binaryStore.parsePlain(AWKWARD))).toEqual(Buffer.from(AWKWARD));
    expect(plainOf([doc({ t: 'bytes', v: new Uint8Array() })])).toEqual(Buffer.alloc(0));
    expect(plainOf([doc({ t: 'str', v: 'héllo\n' })])).toEqual(Buffer.from('héllo\n'));
    const withComment: MapNode = {
      t: 'map',
      items: [
        { t: 'comment', v: 'c' },
        { key: 'data', value: { t: 'str', v: 'x' } },
      ],
    };
    expect(plainOf([withComment])).toEqual(Buffer.from('x'));
  });

  it('refuses documents it cannot write, without quoting them', () => {
    const secret: Node = { t: 'str', v: 'CANARY' };
    const cases: [MapNode[], RegExp][] = [
      [[{ t: 'map', items: [{ key: 'other', value: secret }] }], /^binary: no binary data found/],
      [[doc({ t: 'int', v: 5n })], /^binary: the data key does not hold a string value$/],
      [[doc({ t: 'map', items: [{ key: 'x', value: secret }] })], /^binary: the data key does not hold a string/],
      [[], /^binary: expected exactly one document, got 0$/],
      [[doc(secret), doc(secret)], /^binary: expected exactly one document, got 2$/],
    ];
    for (const [docs, message] of cases) {
      expect(() => binaryStore.emitPlain(docs, {})).toThrow(FormatError);
      expect(() => binaryStore.emitPlain(docs, {})).toThrow(message);
      expect(() => binaryStore.emitPlain(docs, {})).not.toThrow(/CANARY/);
    }
  });

  it('has no --extract: emitValue is a usage error', () => {
    let error: unknown;
    try {
      binaryStore.emitValue({ t: 'str', v: 'x' }, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeywardError);
    expect(error).not.toBeInstanceOf(FormatError);
    expect((error as KeywardError).code).toBe('usage');
    expect((error as KeywardError).message).toBe('binary: --extract is not possible for binary files');
  });

  it('writes and reads the JSON envelope through the JSON store, with its indentation', () => {
    const meta: MapNode = { t: 'map', items: [{ key: 'version', value: { t: 'str', v: '3.13.2' } }] };
    const enc = doc({ t: 'str', v: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]' });
    const tab =
      '{\n\t"data": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",\n\t"sops": {\n\t\t"version": "3.13.2"\n\t}\n}\n';
    expect(Buffer.from(binaryStore.emitEncrypted([enc], meta, {})).toString()).toBe(tab);
    expect(Buffer.from(binaryStore.emitEncrypted([enc], meta, { indent: 2 })).toString()).toBe(
      tab.replaceAll('\t', '  '),
    );
    const parsed = binaryStore.parseEncrypted(Buffer.from(tab));
    expect(parsed).toEqual({ documents: [enc], metadata: { version: '3.13.2' } });
    expect(() => binaryStore.parseEncrypted(Buffer.from('CANARY'))).toThrow(/^json: the top level must be an object$/);
  });
});

const dir = tempDir();
const env = { GNUPGHOME: join(dir, 'gnupg') };
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';

beforeAll(async () => {
  mkdirSync(env.GNUPGHOME, { mode: 0o700 });
  const imported = await run(
    'gpg',
    ['--batch', '--import', join(CONFORMANCE, 'keys', 'sops_functional_tests_key.asc')],
    {
      env,
    },
  );
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

/** Parses an envelope with the binary store and decrypts it with a known data key. */
function decrypt(input: Uint8Array, key: Uint8Array, rawStrings = true): MapNode {
  const parsed = binaryStore.parseEncrypted(input);
  const file = { tree: { documents: parsed.documents }, metadata: readMetadata(parsed.metadata) };
  const [plain] = decryptTree(file, key, testContext().log, { rawStrings }).documents;
  if (!plain) throw new Error('no document');
  return plain;
}

describe('binary store on real sops files', () => {
  it('example.txt (sops 3.5.0): decrypts with its data key, MAC checked, to the bytes sops writes', async () => {
    const path = join(CONFORMANCE, 'example.txt');
    const key = new Uint8Array(Buffer.from('67788979caa78ea7c5ae7adae47eb9161bfd15c94a2f3d88c708bcfa19a85dd7', 'hex'));
    const plain = decrypt(readFileSync(path), key);
    expect(getEntry(plain, 'data')?.value.t).toBe('bytes');
    const theirs = await sops(['decrypt', '--input-type', 'json', '--output-type', 'binary', path]);
    expect(plainOf([plain])).toEqual(theirs);
    expect(theirs.toString()).toMatch(/^Welcome to SOPS!\n\n.*\n\n$/s);
    expect(plainOf([decrypt(readFileSync(path), key, false)])).toEqual(theirs);
  });

  describe('a file encrypted now by sops 3.13.2', () => {
    const encPath = join(dir, 'awkward.enc');
    let encrypted: Buffer = Buffer.alloc(0);
    let plain: MapNode = doc({ t: 'null' });

    beforeAll(async () => {
      writeFileSync(join(dir, 'awkward.bin'), AWKWARD);
      encrypted = await sops(['encrypt', '--pgp', FP, join(dir, 'awkward.bin')]);
      writeFileSync(encPath, encrypted);
      const enc = readMetadata(binaryStore.parseEncrypted(encrypted).metadata).keyGroups[0]?.[0]?.enc ?? '';
      const unwrapped = await run('gpg', ['--batch', '--quiet', '--decrypt'], { env, input: enc });
      expect(unwrapped.code, unwrapped.stderr).toBe(0);
      plain = decrypt(encrypted, new Uint8Array(unwrapped.stdoutBytes));
    });

    it('decrypts to exactly the original bytes, as sops does', async () => {
      expect(plainOf([plain])).toEqual(Buffer.from(AWKWARD));
      expect(await sops(['decrypt', encPath])).toEqual(Buffer.from(AWKWARD));
    });

    it('rebuilds the envelope byte for byte (no selection rule for binary)', () => {
      const parsed = binaryStore.parseEncrypted(encrypted);
      const metadata = readMetadata(parsed.metadata);
      expect(metadata.selection).toBeNull();
      expect(Buffer.from(binaryStore.emitEncrypted(parsed.documents, metadataTree(metadata), {}))).toEqual(encrypted);
    });

    it('writes the envelope with --indent like sops', async () => {
      const indented = await sops(['--indent', '2', 'encrypt', '--pgp', FP, join(dir, 'awkward.bin')]);
      const parsed = binaryStore.parseEncrypted(indented);
      const out = binaryStore.emitEncrypted(parsed.documents, metadataTree(readMetadata(parsed.metadata)), {
        indent: 2,
      });
      expect(Buffer.from(out)).toEqual(indented);
      expect(indented.toString()).toMatch(/^\{\n {2}"data": "ENC\[/);
    });

    it('raw bytes written as JSON get \\ufffd escapes for invalid UTF-8, like sops --output-type json', async () => {
      const theirs = await sops(['decrypt', '--output-type', 'json', encPath]);
      expect(Buffer.from(jsonStore.emitPlain([plain], {})).toString()).toBe(theirs.toString());
      expect(theirs.toString()).toContain('"\ufeffa\\ufffd\\ufffdZ\\ufffd\\u0000\\r\\n\\ufffd\\ufffd\\ufffdé\\u003c "');
    });
  });
});
