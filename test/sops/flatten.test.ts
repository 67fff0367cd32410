/**
 * Metadata flattening shared by the dotenv and INI stores (sops 3.13 rules) and
 * sops's ValToString for non-string scalars.
 */

import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { type Metadata, readMetadata } from '../../src/sops/metadata.js';
import { metadataTree } from '../../src/sops/metadata-tree.js';
import { flattenMetadata, unflattenMetadata, valToString } from '../../src/sops/stores/flatten.js';
import { type MapNode, type Scalar, toPlain } from '../../src/sops/tree.js';

const PGP_ENC = '-----BEGIN PGP MESSAGE-----\n\nwcBMAyUpShfNkFB/AQf+M//bb390sj\n=j3Rn\n-----END PGP MESSAGE-----';
const AGE_ENC = '-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24\n-----END AGE ENCRYPTED FILE-----\n';

/** Two key groups (pgp + age each), Shamir, mac_only_encrypted and a selection rule. */
const twoGroups: Metadata = {
  keyGroups: [
    [
      {
        type: 'pgp',
        fields: { fp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' },
        enc: PGP_ENC,
        createdAt: '2026-05-22T20:15:26Z',
      },
      {
        type: 'age',
        fields: { recipient: 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun' },
        enc: AGE_ENC,
      },
    ],
    [
      {
        type: 'pgp',
        fields: { fp: 'D7229043384BCC60326C6FB9D8720D957C3D3074' },
        enc: PGP_ENC,
        createdAt: '2026-05-22T20:15:27Z',
      },
      {
        type: 'age',
        fields: { recipient: 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29' },
        enc: AGE_ENC,
      },
    ],
  ],
  shamirThreshold: 2,
  lastModified: '2026-05-22T20:15:29Z',
  mac: 'ENC[AES256_GCM,data:evEA,iv:d1Fv,tag:pprV,type:str]',
  selection: { field: 'unencrypted_suffix', value: '_unencrypted' },
  macOnlyEncrypted: true,
  version: '3.13.2',
};

const CANARY = 'CANARY-91c4e7';

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

/** Plain data as flattening keeps it: no empty lists (as in sops), every scalar a string. */
function asFlattened(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asFlattened);
  if (typeof value !== 'object' || value === null) return String(value);
  const entries = Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, asFlattened(v)]));
}

describe('flattenMetadata', () => {
  const tree = metadataTree(twoGroups);

  it('writes names depth-first in sorted order with __map_ / __list_<n>, leaving out empty lists', () => {
    const flat = flattenMetadata(tree, '', 'ini');
    expect(flat.map((e) => e.key)).toEqual([
      'key_groups__list_0__map_age__list_0__map_enc',
      'key_groups__list_0__map_age__list_0__map_recipient',
      'key_groups__list_0__map_pgp__list_0__map_created_at',
      'key_groups__list_0__map_pgp__list_0__map_enc',
      'key_groups__list_0__map_pgp__list_0__map_fp',
      'key_groups__list_1__map_age__list_0__map_enc',
      'key_groups__list_1__map_age__list_0__map_recipient',
      'key_groups__list_1__map_pgp__list_0__map_created_at',
      'key_groups__list_1__map_pgp__list_0__map_enc',
      'key_groups__list_1__map_pgp__list_0__map_fp',
      'lastmodified',
      'mac',
      'mac_only_encrypted',
      'shamir_threshold',
      'unencrypted_suffix',
      'version',
    ]);
    const byKey = Object.fromEntries(flat.map((e) => [e.key, e.value]));
    expect(byKey.shamir_threshold).toBe('2');
    expect(byKey.mac_only_encrypted).toBe('true');
    expect(byKey.key_groups__list_0__map_pgp__list_0__map_enc).toBe(PGP_ENC);
  });

  it('puts the prefix in front of every name (dotenv uses sops_)', () => {
    const flat = flattenMetadata(tree, 'sops_', 'dotenv');
    expect(flat.every((e) => e.key.startsWith('sops_'))).toBe(true);
    expect(flat.at(-1)).toEqual({ key: 'sops_version', value: '3.13.2' });
  });

  it('skips comments (list indexes count only values) and nulls', () => {
    const map: MapNode = {
      t: 'map',
      items: [
        { t: 'comment', v: 'c' },
        {
          key: 'l',
          value: {
            t: 'seq',
            items: [
              { t: 'comment', v: 'x' },
              { t: 'str', v: 'a' },
            ],
          },
        },
        { key: 'n', value: { t: 'null' } },
      ],
    };
    expect(flattenMetadata(map, '', 'ini')).toEqual([{ key: 'l__list_0', value: 'a' }]);
  });

  it('rejects two entries that flatten to the same name', () => {
    const map: MapNode = {
      t: 'map',
      items: [
        { key: 'a__map_b', value: { t: 'str', v: CANARY } },
        { key: 'a', value: { t: 'map', items: [{ key: 'b', value: { t: 'str', v: CANARY } }] } },
      ],
    };
    const err = formatError(() => flattenMetadata(map, '', 'ini'));
    expect(err.message).toMatch(/^ini: /);
    expect(err.message).not.toContain(CANARY);
  });
});

describe('unflattenMetadata', () => {
  it('round-trips a realistic metadata tree, and readMetadata accepts the strings', () => {
    const tree = metadataTree(twoGroups);
    const plain = unflattenMetadata(flattenMetadata(tree, '', 'ini'), 'ini');
    expect(plain).toEqual(asFlattened(toPlain(tree)));
    expect(plain.shamir_threshold).toBe('2');
    expect(readMetadata(plain)).toEqual(twoGroups);
  });

  it('builds lists and maps with sorted keys whatever the entry order', () => {
    const plain = unflattenMetadata(
      [
        { key: 'z__list_1__map_b', value: '2' },
        { key: 'z__list_0', value: 'first' },
        { key: 'z__list_1__map_a', value: '1' },
        { key: 'a__map_x__list_0__list_0', value: 'deep' },
        { key: 'plain', value: 'p' },
      ],
      'dotenv',
    );
    expect(plain).toEqual({ a: { x: [['deep']] }, plain: 'p', z: ['first', { a: '1', b: '2' }] });
    expect(Object.keys(plain)).toEqual(['a', 'plain', 'z']);
    expect(Object.keys((plain.z as unknown[])[1] as object)).toEqual(['a', 'b']);
  });

  it('keeps a __proto__ key as data', () => {
    const plain = unflattenMetadata([{ key: '__proto____map_x', value: 'v' }], 'ini');
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(['__proto__']);
  });

  it('splits at every separator, also at the start and back to back', () => {
    expect(unflattenMetadata([{ key: '__map_a__map___map_b', value: 'v' }], 'ini')).toEqual({
      '': { a: { '': { b: 'v' } } },
    });
  });

  const bad: [string, { key: string; value: string }[]][] = [
    [
      'a gap in list indexes',
      [
        { key: `pgp__list_0__map_fp`, value: CANARY },
        { key: 'pgp__list_2__map_fp', value: 'x' },
      ],
    ],
    ['a list not starting at 0', [{ key: `${CANARY}__list_1`, value: CANARY }]],
    [
      'a value and a map under one name',
      [
        { key: CANARY, value: 'x' },
        { key: `${CANARY}__map_a`, value: CANARY },
      ],
    ],
    [
      'a map and a list under one name',
      [
        { key: 'a__map_b', value: CANARY },
        { key: 'a__list_0', value: CANARY },
      ],
    ],
    [
      'a value and a list under one name',
      [
        { key: 'a', value: CANARY },
        { key: 'a__list_0', value: CANARY },
      ],
    ],
    [
      'a duplicate name',
      [
        { key: `${CANARY}__list_0`, value: CANARY },
        { key: `${CANARY}__list_0`, value: CANARY },
      ],
    ],
    ['a list index that is not a number', [{ key: `a__list_${CANARY}`, value: 'x' }]],
    ['a negative list index', [{ key: 'a__list_-1', value: 'x' }]],
    ['deep nesting', [{ key: `a${'__list_0'.repeat(100)}`, value: 'x' }]],
  ];
  for (const [what, entries] of bad) {
    it(`rejects ${what} with a FormatError that does not quote the input`, () => {
      const err = formatError(() => unflattenMetadata(entries, 'dotenv'));
      expect(err.message).toMatch(/^dotenv: sops metadata/);
      expect(err.message).not.toContain(CANARY);
    });
  }
});

describe('valToString (sops ValToString)', () => {
  const cases: [Scalar, string][] = [
    [{ t: 'str', v: 'a\nb' }, 'a\nb'],
    [{ t: 'int', v: -42n }, '-42'],
    [{ t: 'int', v: 9223372036854775807n }, '9223372036854775807'],
    [{ t: 'bool', v: true }, 'true'],
    [{ t: 'bool', v: false }, 'false'],
    [{ t: 'null' }, '<nil>'],
    [{ t: 'float', v: 1234568000 }, '1.234568E+09'],
    [{ t: 'float', v: 100000 }, '100000.0'],
    [{ t: 'float', v: 1000000 }, '1E+06'],
    [{ t: 'float', v: 1.5 }, '1.5'],
    [{ t: 'float', v: 123456.7 }, '123456.7'],
    [{ t: 'float', v: 0.0001 }, '0.0001'],
    [{ t: 'float', v: 0.00001 }, '1E-05'],
    [{ t: 'float', v: -2.5e-7 }, '-2.5E-07'],
    [{ t: 'float', v: 1e21 }, '1E+21'],
    [{ t: 'float', v: 1e100 }, '1E+100'],
    [{ t: 'float', v: 0 }, '0.0'],
    [{ t: 'float', v: -0 }, '-0.0'],
    [{ t: 'float', v: Number.POSITIVE_INFINITY }, '+Inf'],
    [{ t: 'float', v: Number.NEGATIVE_INFINITY }, '-Inf'],
    [{ t: 'float', v: Number.NaN }, 'NaN'],
    [{ t: 'time', v: '2024-01-02T03:04:05.123+02:00' }, '2024-01-02T03:04:05+02:00'],
    [{ t: 'time', v: '2024-01-02T03:04:05Z' }, '2024-01-02T03:04:05Z'],
    [{ t: 'bytes', v: new TextEncoder().encode('raw') }, 'raw'],
  ];
  for (const [node, text] of cases) {
    it(`${node.t} ${'v' in node ? String(node.v) : ''} → ${text}`, () => {
      expect(valToString(node)).toBe(text);
    });
  }
});
