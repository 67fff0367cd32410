import { describe, expect, it } from 'vitest';
import { DecryptValueError } from '../../src/errors.js';
import { formatFloat, parseTyped, scalarBytes } from '../../src/sops/values.js';

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());

describe('plaintext forms of typed values (Go strconv)', () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [1.0, '1'],
    [1234568000.0, '1234568000'],
    [25.4, '25.4'],
    [-0.5, '-0.5'],
    [-0, '-0'],
    [1.5e300, `15${'0'.repeat(299)}`],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ])('formats float %s as %s', (value, expected) => {
    expect(formatFloat(value)).toBe(expected);
  });

  it('gives sops bytes for each scalar type', () => {
    expect(text(scalarBytes({ t: 'bool', v: true }))).toBe('True');
    expect(text(scalarBytes({ t: 'bool', v: false }))).toBe('False');
    expect(text(scalarBytes({ t: 'int', v: 9007199254740993n }))).toBe('9007199254740993');
    expect(text(scalarBytes({ t: 'time', v: '2024-01-01T00:00:00Z' }))).toBe('2024-01-01T00:00:00Z');
    expect(scalarBytes({ t: 'null' })).toBeNull();
  });

  it('parses decrypted plaintext by type tag', () => {
    const b = (s: string) => new Uint8Array(Buffer.from(s));
    expect(parseTyped('int', b('-42'), 'x', false)).toEqual({ t: 'int', v: -42n });
    expect(parseTyped('float', b('1234568000'), 'x', false)).toEqual({ t: 'float', v: 1234568000 });
    expect(parseTyped('bool', b('True'), 'x', false)).toEqual({ t: 'bool', v: true });
    expect(parseTyped('bool', b('f'), 'x', false)).toEqual({ t: 'bool', v: false });
    expect(parseTyped('comment', b(' note'), 'x', false)).toBe(' note');
    expect(parseTyped('str', b('\u00ff'), 'x', true)).toEqual({ t: 'bytes', v: b('\u00ff') });
  });

  it('rejects plaintext that does not fit its type, naming the place but not the value', () => {
    const b = (s: string) => new Uint8Array(Buffer.from(s));
    expect(() => parseTyped('int', b('canary-int'), 'a.b', false)).toThrow(DecryptValueError);
    expect(() => parseTyped('bool', b('yes'), 'a.b', false)).toThrow(/a\.b/);
    expect(() => parseTyped('weird', b('x'), 'a.b', false)).toThrow(/unknown value type/);
    try {
      parseTyped('int', b('canary-int'), 'a.b', false);
    } catch (err) {
      expect(String(err)).not.toContain('canary');
    }
  });
});
