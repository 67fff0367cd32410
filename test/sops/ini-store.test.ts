/**
 * INI store: go-ini v1.67 reading and writing as sops 3.13.2 uses them, the
 * `[sops]` metadata section, and byte-for-byte agreement with the real sops.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { decryptTree } from '../../src/sops/decrypt.js';
import { type Metadata, readMetadata } from '../../src/sops/metadata.js';
import { metadataTree } from '../../src/sops/metadata-tree.js';
import { iniStore } from '../../src/sops/stores/ini.js';
import type { MapNode, Node } from '../../src/sops/tree.js';
import { testContext } from '../helpers/context.js';
import { CONFORMANCE, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const CANARY = 'CANARY-a81f33';
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const parse = (input: string | Uint8Array) =>
  iniStore.parsePlain(typeof input === 'string' ? bytes(input) : input)[0] as MapNode;
const emit = (doc: MapNode) => text(iniStore.emitPlain([doc], {}));
const str = (v: string) => ({ t: 'str', v }) as const;
const note = (v: string) => ({ t: 'comment', v }) as const;
const section = (key: string, ...items: MapNode['items']) => ({ key, value: { t: 'map', items } as MapNode });
const doc = (...items: MapNode['items']): MapNode => ({ t: 'map', items });
const kv = (key: string, v: string) => ({ key, value: str(v) });
/** The items of section `[s]` of an INI text. */
const values = (input: string) => (parse(`[s]\n${input}`).items[1] as { value: MapNode }).value.items;

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('INI parsing (go-ini rules)', () => {
  it('always has DEFAULT first, holding keys before any header; sections may repeat', () => {
    expect(parse('a = 1\n[s]\nb = 2\n[s]\nc = 3\n[DEFAULT]\nd = 4\n')).toEqual(
      doc(
        section('DEFAULT', kv('a', '1')),
        section('s', kv('b', '2')),
        section('s', kv('c', '3')),
        section('DEFAULT', kv('d', '4')),
      ),
    );
    expect(parse('')).toEqual(doc(section('DEFAULT')));
  });

  it('trims values, removes one layer of quotes, cuts at an unquoted-looking # or ;', () => {
    expect(values('a =   spaced value   \nb = "x"\nc = \'y\'\nd = "a"b"\ne = ""\nf: colon\n')).toEqual([
      kv('a', 'spaced value'),
      kv('b', 'x'),
      kv('c', 'y'),
      kv('d', '"a"b"'),
      kv('e', ''),
      kv('f', 'colon'),
    ]);
    expect(values('a = v # note\nb = "x ; y"\n')).toEqual([kv('a', 'v'), note('note'), kv('b', '"x'), note('y"')]);
  });

  it('reads continuation lines, triple-quoted and backtick values', () => {
    expect(
      values('a = one \\\n  two \\\n  three\nb = """x\ny ; z\n"""\nc = `p#q` ; tail\nd = """same line"""\n'),
    ).toEqual([kv('a', 'one two three'), kv('b', 'x\ny ; z\n'), kv('c', 'p#q'), kv('d', 'same line')]);
  });

  it('reads quoted key names, numbers "-" keys, and lets a repeated key keep its place', () => {
    expect(values('`a=b` = 1\n"c:d" = 2\n- = x\n- = y\n; first\nk = old\nm = 3\nk = new\n')).toEqual([
      kv('a=b', '1'),
      kv('c:d', '2'),
      kv('#1', 'x'),
      kv('#2', 'y'),
      kv('k', 'new'),
      kv('m', '3'),
    ]);
  });

  it('puts comments above a header into the section, comments above a key after that key', () => {
    const input =
      '; top 1\n# top 2\nk0 = v0 ; inline\n[s] ; on header\n;;; above a\n#  hash\na = 1\n; lost at the end\n';
    expect(parse(input)).toEqual(
      doc(
        section('DEFAULT', kv('k0', 'v0'), note('top 1\n# top 2\n; inline')),
        section('s', note('on header'), kv('a', '1'), note('above a\n#  hash')),
      ),
    );
  });

  it('drops byte-order marks and reads CRLF files', () => {
    const input = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('[s]\r\na = 1\r\n')]);
    expect(parse(input)).toEqual(doc(section('DEFAULT'), section('s', kv('a', '1'))));
  });

  const bad: [string, string, number][] = [
    ['an unclosed header', `a = 1\n[${CANARY}\n`, 2],
    ['an empty section name', '[]\n', 1],
    ['a line without = or :', `[s]\n\n${CANARY}\n`, 3],
    ['an empty key name', `= ${CANARY}\n`, 1],
    ['an unclosed quoted key', `"${CANARY} = 1\n`, 1],
    ['an empty quoted key', `"" = ${CANARY}\n`, 1],
    ['an unclosed triple-quoted value', `[s]\nk = """${CANARY}\nmore ${CANARY}\n`, 2],
  ];
  for (const [what, input, line] of bad) {
    it(`rejects ${what} naming the line, not the content`, () => {
      const err = formatError(() => parse(input));
      expect(err.message).toMatch(new RegExp(`^ini: line ${line}: `));
      expect(err.message).not.toContain(CANARY);
    });
  }
});

describe('INI writing (go-ini WriteTo)', () => {
  it('aligns = per section, separates sections by a blank line, skips an empty leading DEFAULT', () => {
    const tree = doc(
      section('DEFAULT'),
      section('name', note('An example'), kv('firstName', 'John'), kv('age', '25.4')),
      section('x', kv('k', 'v')),
    );
    expect(emit(tree)).toBe('; An example\n[name]\nfirstName = John\nage       = 25.4\n\n[x]\nk = v\n');
  });

  it('writes a leading DEFAULT with keys without header, a later one with header', () => {
    const tree = doc(section('DEFAULT', kv('a', '1')), section('DEFAULT', kv('b', '')));
    expect(emit(tree)).toBe('a = 1\n\n[DEFAULT]\nb = \n');
    expect(emit(doc(section('DEFAULT', note('only a comment'))))).toBe('; only a comment\n');
  });

  it('quotes values and keys as go-ini does, counting quotes in the alignment', () => {
    const tree = doc(
      section(
        's',
        kv('nl', 'a\nb'),
        kv('tick', 'a`b'),
        kv('semi', 'a;b#c'),
        kv('pad', ' x '),
        kv('k=x', '1'),
        kv('k"q', '2'),
        kv('k`b', '3'),
        kv('é', '4'),
      ),
    );
    expect(emit(tree)).toBe(
      [
        '[s]',
        'nl        = """a\nb"""',
        'tick      = """a`b"""',
        'semi      = `a;b#c`',
        'pad       = " x "',
        '`k=x`     = 1',
        '`k"q`     = 2',
        '"""k`b""" = 3',
        'é        = 4',
        '',
      ].join('\n'),
    );
  });

  it('places comments as sops encodeTree does', () => {
    const tree = doc(
      note('top-level comments are dropped'),
      section('s', note(' c1'), note('dropped: no key yet'), kv('a', '1'), note('x'), note(' c3')),
      section('t', kv('b', '2'), note('multi\n#  two\nthree ')),
    );
    expect(emit(tree)).toBe(';  c1\n[s]\n; c3\na = 1\n\n[t]\n; multi\n# two\n; three\nb = 2\n');
  });

  it('writes values from other formats as sops ValToString does', () => {
    const values: [string, Node][] = [
      ['i', { t: 'int', v: 42n }],
      ['f1', { t: 'float', v: 1234568000 }],
      ['b', { t: 'bool', v: true }],
      ['n', { t: 'null' }],
      ['t', { t: 'time', v: '2024-01-02T03:04:05.123+02:00' }],
    ];
    const tree = doc(section('sec', ...values.map(([key, value]) => ({ key, value }))));
    // Output of sops 3.13.2 `decrypt --output-type ini` for the same YAML values.
    expect(emit(tree)).toBe(
      '[sec]\ni  = 42\nf1 = 1.234568E+09\nb  = true\nn  = <nil>\nt  = 2024-01-02T03:04:05+02:00\n',
    );
  });

  it('refuses top-level values and nested values without quoting them', () => {
    const nested = doc(section('s', { key: 'k', value: { t: 'seq', items: [str(CANARY)] } }));
    for (const tree of [doc({ key: 'k', value: str(CANARY) }), nested]) {
      const err = formatError(() => emit(tree));
      expect(err.message).toMatch(/^ini: /);
      expect(err.message).not.toContain(CANARY);
    }
  });

  it('emitValue writes maps as a document and other values as Go json.Marshal does', () => {
    const value = (node: Node) => text(iniStore.emitValue(node, {}));
    expect(value(doc(section('s', kv('a', '1'))))).toBe('[s]\na = 1\n');
    expect(value({ t: 'int', v: 42n })).toBe('42');
    expect(value({ t: 'float', v: 1e-7 })).toBe('1e-7');
    expect(value(str('<a&b>\u2028"'))).toBe('"\\u003ca\\u0026b\\u003e\\u2028\\""');
    expect(value({ t: 'seq', items: [str('x'), { t: 'bool', v: false }, { t: 'null' }] })).toBe('["x",false,null]');
  });
});

const meta: Metadata = {
  keyGroups: [
    [
      {
        type: 'pgp',
        fields: { fp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' },
        enc: 'P1\n\nP2',
        createdAt: '2026-05-22T20:15:26Z',
      },
      { type: 'age', fields: { recipient: 'age1a' }, enc: 'A1\nA2\n' },
    ],
    [{ type: 'age', fields: { recipient: 'age1b' }, enc: 'B1\n' }],
  ],
  shamirThreshold: 2,
  lastModified: '2026-05-22T20:15:29Z',
  mac: 'ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
  selection: { field: 'unencrypted_comment_regex', value: '^ keep;#' },
  macOnlyEncrypted: true,
  version: '3.13.2',
};

describe('INI metadata', () => {
  it('writes a [sops] section of flattened names with \\n escapes, and reads it back', () => {
    const data = doc(section('DEFAULT'), section('s', kv('a', 'ENC[x]')));
    const out = text(iniStore.emitEncrypted([data], metadataTree(meta), {}));
    expect(out).toBe(
      [
        '[s]',
        'a = ENC[x]',
        '',
        '[sops]',
        'key_groups__list_0__map_age__list_0__map_enc        = A1\\nA2\\n',
        'key_groups__list_0__map_age__list_0__map_recipient  = age1a',
        'key_groups__list_0__map_pgp__list_0__map_created_at = 2026-05-22T20:15:26Z',
        'key_groups__list_0__map_pgp__list_0__map_enc        = P1\\n\\nP2',
        'key_groups__list_0__map_pgp__list_0__map_fp         = FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4',
        'key_groups__list_1__map_age__list_0__map_enc        = B1\\n',
        'key_groups__list_1__map_age__list_0__map_recipient  = age1b',
        'lastmodified                                        = 2026-05-22T20:15:29Z',
        'mac                                                 = ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
        'mac_only_encrypted                                  = true',
        'shamir_threshold                                    = 2',
        'unencrypted_comment_regex                           = `^ keep;#`',
        'version                                             = 3.13.2',
        '',
      ].join('\n'),
    );
    const parsed = iniStore.parseEncrypted(bytes(out));
    expect(parsed.documents).toEqual([data]);
    expect(readMetadata(parsed.metadata)).toEqual(meta);
  });

  it('reads the old """ multi-line form of sops 3.13.0/3.13.1', () => {
    const input = '[sops]\nenc = """line 1\n\nline 3"""\nversion = 3.13.1\n';
    expect(iniStore.parseEncrypted(bytes(input)).metadata).toEqual({ enc: 'line 1\n\nline 3', version: '3.13.1' });
  });

  it('reports no metadata without [sops], and refuses two [sops] sections or a data section named sops', () => {
    expect(iniStore.parseEncrypted(bytes('[s]\na = 1\n')).metadata).toBeUndefined();
    expect(() => iniStore.parseEncrypted(bytes('[sops]\na = 1\n[sops]\nb = 2\n'))).toThrow(FormatError);
    const data = doc(section('sops', kv('a', '1')));
    expect(() => iniStore.emitEncrypted([data], metadataTree(meta), {})).toThrow(FormatError);
  });

  it('rejects broken flattened metadata without quoting it', () => {
    const err = formatError(() =>
      iniStore.parseEncrypted(bytes(`[sops]\n${CANARY} = 1\n${CANARY}__map_x = ${CANARY}\n`)),
    );
    expect(err.message).toMatch(/^ini: sops metadata/);
    expect(err.message).not.toContain(CANARY);
  });
});

describe('INI against the real sops 3.13.2', () => {
  const dir = tempDir('keyward-ini-');
  const gnupg = tempDir('keyward-gpg-');
  const env = { GNUPGHOME: gnupg, SOPS_AGE_KEY_FILE: join(dir, 'age.txt'), SOPS_DISABLE_VERSION_CHECK: '1' };
  let recipient = '';

  const sops = async (args: string[]) => {
    const ran = await run(toolPath('sops'), args, { env, cwd: dir });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    return ran.stdoutBytes;
  };

  beforeAll(async () => {
    const key = join(CONFORMANCE, 'keys', 'sops_functional_tests_key.asc');
    expect((await run('gpg', ['--batch', '--import', key], { env })).code).toBe(0);
    expect((await run(toolPath('age-keygen'), ['-o', env.SOPS_AGE_KEY_FILE], { env })).code).toBe(0);
    recipient = /age1[0-9a-z]+/.exec(readFileSync(env.SOPS_AGE_KEY_FILE, 'utf8'))?.[0] ?? '';
  }, 60_000);
  afterAll(async () => {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env });
  });

  const fixtures: [string, string][] = [
    ['example.ini', '110e4d601e66ac7039e9ef32e6e8bb93fb1dbf833fb42003c93877ece3003575'],
    ['format.enc.ini', 'ce46fd76883106d55913ff2207e160bbeac65a71d6e1cf84c510614bed6f8ccd'],
    ['format-2.enc.ini', '200b251d35608cb3451d26d95d0f6c4580575d8f61d908b6d224fc488c65263f'],
  ];
  for (const [name, dataKey] of fixtures) {
    it(`${name}: decrypts with its data key, the MAC verifies, output matches sops byte for byte`, async () => {
      const file = join(CONFORMANCE, name);
      const parsed = iniStore.parseEncrypted(readFileSync(file));
      const metadata = readMetadata(parsed.metadata);
      expect(metadata.keyGroups[0]?.[0]?.enc).toMatch(
        /^-----BEGIN PGP MESSAGE-----\n\n.*\n-----END PGP MESSAGE-----$/s,
      );
      const tree = decryptTree(
        { tree: { documents: parsed.documents }, metadata },
        Buffer.from(dataKey, 'hex'),
        testContext().log,
      );
      const ours = iniStore.emitPlain(tree.documents, {});
      expect(text(ours)).toBe(text(await sops(['decrypt', file])));
    });
  }

  it('example.ini: the section comment decrypts with AAD "name:"', () => {
    const parsed = iniStore.parseEncrypted(readFileSync(join(CONFORMANCE, 'example.ini')));
    const key = Buffer.from(fixtures[0]?.[1] ?? '', 'hex');
    const tree = decryptTree(
      { tree: { documents: parsed.documents }, metadata: readMetadata(parsed.metadata) },
      key,
      testContext().log,
    );
    const name = tree.documents[0]?.items[1];
    expect(name && 'key' in name && name.value.t === 'map' && name.value.items[0]).toEqual(
      note('An example file for use with sops!'),
    );
  });

  it('format.enc.ini: writing the parsed file again gives the same bytes', () => {
    const original = readFileSync(join(CONFORMANCE, 'format.enc.ini'));
    const parsed = iniStore.parseEncrypted(original);
    const again = iniStore.emitEncrypted(parsed.documents, metadataTree(readMetadata(parsed.metadata)), {});
    expect(text(again)).toBe(original.toString('utf8'));
  });

  it('a fresh sops file from tricky input: sops decrypts it to what we write, we re-emit it byte for byte', async () => {
    const plain =
      `; top ${CANARY}\nk0 = v0 ; inline0\nk1=  spaced value   \n[sec1] ; header inline\na = 1\n` +
      `b = "quoted ; semi"\nc = 'single'\nd = \`back#tick\`\ne = """triple\nmulti"""\nf = cont \\\n  inued\ng =\n` +
      `h: colon\na = dup\n;;; many semis\ni = "  padded  "\n; goes to the next section\n[sec1]\n` +
      '`x=y` = second instance\n[DEFAULT]\ny = explicit default\n';
    writeFileSync(join(dir, 'tricky.ini'), plain);
    const encrypted = await sops(['encrypt', '--age', recipient, 'tricky.ini']);
    writeFileSync(join(dir, 'tricky.enc.ini'), encrypted);
    expect(text(iniStore.emitPlain(iniStore.parsePlain(bytes(plain)), {}))).toBe(
      text(await sops(['decrypt', 'tricky.enc.ini'])),
    );
    const parsed = iniStore.parseEncrypted(encrypted);
    const again = iniStore.emitEncrypted(parsed.documents, metadataTree(readMetadata(parsed.metadata)), {});
    expect(text(again)).toBe(encrypted.toString('utf8'));
  });
});
