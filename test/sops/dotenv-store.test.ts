/**
 * dotenv store: sops 3.13.2 line rules, the flattened `sops_*` metadata, and
 * byte-for-byte agreement with the real sops binary on real and fresh files.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { decryptTree } from '../../src/sops/decrypt.js';
import { type Metadata, readMetadata } from '../../src/sops/metadata.js';
import { metadataTree } from '../../src/sops/metadata-tree.js';
import { dotenvStore } from '../../src/sops/stores/dotenv.js';
import type { MapNode, Node } from '../../src/sops/tree.js';
import { testContext } from '../helpers/context.js';
import { CONFORMANCE, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const CANARY = 'CANARY-5d20b1';
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const parse = (input: string) => dotenvStore.parsePlain(bytes(input))[0] as MapNode;
const emit = (doc: MapNode) => text(dotenvStore.emitPlain([doc], {}));

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('dotenv parsing', () => {
  it('splits at the first =, keeps spaces, quotes and export, skips empty lines', () => {
    const doc = parse('A=1\n\nexport B = "two" \nC=x=y\n=empty key\nD=\n');
    expect(doc.items).toEqual([
      { key: 'A', value: { t: 'str', v: '1' } },
      { key: 'export B ', value: { t: 'str', v: ' "two" ' } },
      { key: 'C', value: { t: 'str', v: 'x=y' } },
      { key: '', value: { t: 'str', v: 'empty key' } },
      { key: 'D', value: { t: 'str', v: '' } },
    ]);
  });

  it('turns \\n into a newline, keeps \\r and other escapes', () => {
    const doc = parse('A=one\\ntwo\\\\n\r\nB=tab\\t\n');
    expect(doc.items).toEqual([
      { key: 'A', value: { t: 'str', v: 'one\ntwo\\\n\r' } },
      { key: 'B', value: { t: 'str', v: 'tab\\t' } },
    ]);
  });

  it('reads # lines as comments (the rest of the line), but not indented ones', () => {
    expect(parse('# one\n#two\\n\nA=1 # not a comment\n').items).toEqual([
      { t: 'comment', v: ' one' },
      { t: 'comment', v: 'two\\n' },
      { key: 'A', value: { t: 'str', v: '1 # not a comment' } },
    ]);
    const err = formatError(() => parse(' # indented\n'));
    expect(err.message).toBe('dotenv: line 1: expected KEY=VALUE or a #comment');
  });

  it('rejects a line without = naming the line, not its content', () => {
    const err = formatError(() => parse(`A=1\n\n${CANARY}\n`));
    expect(err.message).toMatch(/^dotenv: line 3: /);
    expect(err.message).not.toContain(CANARY);
  });

  it('keeps a UTF-8 byte-order mark in the first key, as sops does', () => {
    const input = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('A=1\n')]);
    expect(dotenvStore.parsePlain(input)[0]?.items).toEqual([{ key: '\ufeffA', value: { t: 'str', v: '1' } }]);
  });
});

describe('dotenv writing', () => {
  it('writes comments, KEY=VALUE lines and \\n for newlines, round-tripping the input', () => {
    const input = '#c1\nA=1\nB=two\\nlines\n# c2\nexport C = "q" \n';
    expect(emit(parse(input))).toBe(input);
  });

  it('writes other types as sops ValToString does (values from YAML/JSON)', () => {
    const doc: MapNode = {
      t: 'map',
      items: [
        { t: 'comment', v: ' top comment' },
        { key: 'i', value: { t: 'int', v: 42n } },
        { key: 'f1', value: { t: 'float', v: 1234568000 } },
        { key: 'f2', value: { t: 'float', v: 100000 } },
        { key: 'f4', value: { t: 'float', v: 0.00001 } },
        { key: 'f6', value: { t: 'float', v: Number.POSITIVE_INFINITY } },
        { key: 'b', value: { t: 'bool', v: true } },
        { key: 'n', value: { t: 'null' } },
        { key: 't', value: { t: 'time', v: '2024-01-02T03:04:05.123+02:00' } },
      ],
    };
    // Output of sops 3.13.2 `decrypt --output-type dotenv` for the same YAML values.
    expect(emit(doc)).toBe(
      '# top comment\ni=42\nf1=1.234568E+09\nf2=100000.0\nf4=1E-05\nf6=+Inf\nb=true\nn=<nil>\nt=2024-01-02T03:04:05+02:00\n',
    );
  });

  it('writes only the first document', () => {
    const out = dotenvStore.emitPlain([parse('A=1\n'), parse('B=2\n')], {});
    expect(text(out)).toBe('A=1\n');
  });

  it('refuses nested values without quoting them', () => {
    const nested: Node[] = [
      { t: 'map', items: [{ key: 'x', value: { t: 'str', v: CANARY } }] },
      { t: 'seq', items: [{ t: 'str', v: CANARY }] },
    ];
    for (const value of nested) {
      const err = formatError(() => emit({ t: 'map', items: [{ key: 'db', value }] }));
      expect(err.message).toBe('dotenv: cannot use complex value in dotenv file; offending key "db"');
    }
  });

  it('emitValue writes strings raw and maps as a document, and refuses other values', () => {
    expect(text(dotenvStore.emitValue({ t: 'str', v: 'a\nb' }, {}))).toBe('a\nb');
    expect(text(dotenvStore.emitValue(parse('A=1\n'), {}))).toBe('A=1\n');
    expect(() => dotenvStore.emitValue({ t: 'int', v: 1n }, {})).toThrow(FormatError);
  });
});

const meta: Metadata = {
  keyGroups: [
    [
      {
        type: 'pgp',
        fields: { fp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' },
        enc: 'P1\n\nP2\n',
        createdAt: '2026-05-22T20:15:26Z',
      },
      { type: 'age', fields: { recipient: 'age1a' }, enc: 'A1\nA2\n' },
    ],
    [{ type: 'age', fields: { recipient: 'age1b' }, enc: 'B1\n' }],
  ],
  shamirThreshold: 2,
  lastModified: '2026-05-22T20:15:29Z',
  mac: 'ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
  selection: { field: 'encrypted_regex', value: '^(pass|key)$' },
  macOnlyEncrypted: true,
  version: '3.13.2',
};

describe('dotenv metadata', () => {
  it('appends sops_* lines after the data with \\n escapes, and reads them back', () => {
    const doc = parse('#c\nA=ENC[x]\n');
    const out = text(dotenvStore.emitEncrypted([doc], metadataTree(meta), {}));
    expect(out).toBe(
      [
        '#c',
        'A=ENC[x]',
        'sops_encrypted_regex=^(pass|key)$',
        'sops_key_groups__list_0__map_age__list_0__map_enc=A1\\nA2\\n',
        'sops_key_groups__list_0__map_age__list_0__map_recipient=age1a',
        'sops_key_groups__list_0__map_pgp__list_0__map_created_at=2026-05-22T20:15:26Z',
        'sops_key_groups__list_0__map_pgp__list_0__map_enc=P1\\n\\nP2\\n',
        'sops_key_groups__list_0__map_pgp__list_0__map_fp=FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4',
        'sops_key_groups__list_1__map_age__list_0__map_enc=B1\\n',
        'sops_key_groups__list_1__map_age__list_0__map_recipient=age1b',
        'sops_lastmodified=2026-05-22T20:15:29Z',
        'sops_mac=ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
        'sops_mac_only_encrypted=true',
        'sops_shamir_threshold=2',
        'sops_version=3.13.2',
        '',
      ].join('\n'),
    );
    const parsed = dotenvStore.parseEncrypted(bytes(out));
    expect(parsed.documents).toEqual([doc]);
    expect(readMetadata(parsed.metadata)).toEqual(meta);
  });

  it('takes every sops_ line out of the data, wherever it is', () => {
    const parsed = dotenvStore.parseEncrypted(bytes('sops_version=3.13.2\nA=1\nsops_lastmodified=x\n#c\n'));
    expect(parsed.documents[0]?.items).toEqual([
      { key: 'A', value: { t: 'str', v: '1' } },
      { t: 'comment', v: 'c' },
    ]);
    expect(parsed.metadata).toEqual({ lastmodified: 'x', version: '3.13.2' });
  });

  it('reports no metadata for a file without sops_ lines; plaintext keeps sops_ keys for the caller', () => {
    expect(dotenvStore.parseEncrypted(bytes('A=1\n')).metadata).toBeUndefined();
    expect(parse('sops_x=1\n').items).toEqual([{ key: 'sops_x', value: { t: 'str', v: '1' } }]);
  });

  it('refuses to write data keys that start with sops_', () => {
    expect(() => dotenvStore.emitEncrypted([parse('sops_x=1\n')], metadataTree(meta), {})).toThrow(FormatError);
  });

  it('rejects broken flattened metadata without quoting it', () => {
    const err = formatError(() => dotenvStore.parseEncrypted(bytes(`sops_${CANARY}__list_1=${CANARY}\n`)));
    expect(err.message).toMatch(/^dotenv: sops metadata/);
    expect(err.message).not.toContain(CANARY);
  });
});

describe('dotenv against the real sops 3.13.2', () => {
  const dir = tempDir('keyward-dotenv-');
  const gnupg = tempDir('keyward-gpg-');
  const env = { GNUPGHOME: gnupg, SOPS_AGE_KEY_FILE: join(dir, 'age.txt'), SOPS_DISABLE_VERSION_CHECK: '1' };
  const recipients: string[] = [];

  const sops = async (args: string[]) => {
    const ran = await run(toolPath('sops'), args, { env, cwd: dir });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    return ran.stdoutBytes;
  };

  beforeAll(async () => {
    const key = join(CONFORMANCE, 'keys', 'sops_functional_tests_key.asc');
    expect((await run('gpg', ['--batch', '--import', key], { env })).code).toBe(0);
    for (const name of ['age.txt', 'age2.txt']) {
      expect((await run(toolPath('age-keygen'), ['-o', join(dir, name)], { env })).code).toBe(0);
      recipients.push(/age1[0-9a-z]+/.exec(readFileSync(join(dir, name), 'utf8'))?.[0] ?? '');
    }
  }, 60_000);
  afterAll(async () => {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env });
  });

  it('format.enc.env: key "foo " (AAD "foo :") decrypts, the MAC verifies, output matches sops', async () => {
    const file = join(CONFORMANCE, 'format.enc.env');
    const parsed = dotenvStore.parseEncrypted(readFileSync(file));
    const metadata = readMetadata(parsed.metadata);
    expect(metadata.version).toBe('3.13.1');
    expect(metadata.keyGroups[0]?.[0]?.fields).toEqual({ fp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' });
    const key = Buffer.from('322d9a97997823fb2bf42f55a6c26100cbaf0520cf88bb7ebee1cf47dd6d318d', 'hex');
    const tree = decryptTree({ tree: { documents: parsed.documents }, metadata }, key, testContext().log);
    expect(tree.documents[0]?.items).toEqual([{ key: 'foo ', value: { t: 'str', v: ' bar' } }]);
    const ours = dotenvStore.emitPlain(tree.documents, {});
    expect(Buffer.from(ours)).toEqual(await sops(['decrypt', file]));
  });

  it('format.enc.env: writing the parsed file again gives the same bytes', () => {
    const original = readFileSync(join(CONFORMANCE, 'format.enc.env'));
    const parsed = dotenvStore.parseEncrypted(original);
    const again = dotenvStore.emitEncrypted(parsed.documents, metadataTree(readMetadata(parsed.metadata)), {});
    expect(text(again)).toBe(original.toString('utf8'));
  });

  it('a fresh sops file with odd lines decrypts (by sops) to what we write for its plaintext', async () => {
    const plain = `#${CANARY}\nA= spaced \n\nexport B="quoted"\nC=multi\\nline\nD=\nE=x=y\r\n# end\n`;
    writeFileSync(join(dir, 'odd.env'), plain);
    writeFileSync(join(dir, 'odd.enc.env'), await sops(['encrypt', '--age', recipients[0] ?? '', 'odd.env']));
    const ours = dotenvStore.emitPlain(dotenvStore.parsePlain(bytes(plain)), {});
    expect(Buffer.from(ours)).toEqual(await sops(['decrypt', 'odd.enc.env']));
  });

  it('a sops file with two key groups, Shamir and mac_only_encrypted reads and re-emits byte for byte', async () => {
    const config = join(dir, 'groups.sops.yaml');
    const groups = recipients.map((r) => `      - age: [${r}]`).join('\n');
    writeFileSync(
      config,
      `creation_rules:\n  - shamir_threshold: 2\n    mac_only_encrypted: true\n    key_groups:\n${groups}\n`,
    );
    writeFileSync(join(dir, 'groups.env'), 'A=1\n#c\nB=two\\nlines\n');
    const encrypted = await sops(['--config', config, 'encrypt', 'groups.env']);
    const parsed = dotenvStore.parseEncrypted(encrypted);
    const metadata = readMetadata(parsed.metadata);
    expect(metadata.keyGroups.map((g) => g.map((k) => k.fields.recipient))).toEqual(recipients.map((r) => [r]));
    expect(metadata.shamirThreshold).toBe(2);
    expect(metadata.macOnlyEncrypted).toBe(true);
    const again = dotenvStore.emitEncrypted(parsed.documents, metadataTree(metadata), {});
    expect(text(again)).toBe(encrypted.toString('utf8'));
  });
});
