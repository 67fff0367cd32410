import { describe, expect, it } from 'vitest';
import { canBePlain, formatYamlFloat, resolvePlain } from '../../src/sops/stores/yaml-scalars.js';

describe('yaml.v3 scalar resolution', () => {
  it.each([
    ['~', { t: 'null' }],
    ['', { t: 'null' }],
    ['Null', { t: 'null' }],
    ['true', { t: 'bool', v: true }],
    ['FALSE', { t: 'bool', v: false }],
    ['yes', { t: 'str', v: 'yes' }],
    ['on', { t: 'str', v: 'on' }],
    ['42', { t: 'int', v: 42n }],
    ['-17', { t: 'int', v: -17n }],
    ['0x1F', { t: 'int', v: 31n }],
    ['0o17', { t: 'int', v: 15n }],
    ['017', { t: 'int', v: 15n }],
    ['0b101', { t: 'int', v: 5n }],
    ['12_345', { t: 'int', v: 12345n }],
    ['9223372036854775807', { t: 'int', v: 9223372036854775807n }],
    ['08', { t: 'float', v: 8 }],
    ['1.5', { t: 'float', v: 1.5 }],
    ['.5', { t: 'float', v: 0.5 }],
    ['1e3', { t: 'float', v: 1000 }],
    ['.inf', { t: 'float', v: Number.POSITIVE_INFINITY }],
    ['-.Inf', { t: 'float', v: Number.NEGATIVE_INFINITY }],
    ['2024-01-01', { t: 'time', v: '2024-01-01T00:00:00Z' }],
    ['2024-1-2T3:04:05.500+02:00', { t: 'time', v: '2024-01-02T03:04:05.5+02:00' }],
    ['2024-01-02 03:04:05', { t: 'time', v: '2024-01-02T03:04:05Z' }],
    ['2024-02-30', { t: 'str', v: '2024-02-30' }],
    ['1.2.3', { t: 'str', v: '1.2.3' }],
    ['hello world', { t: 'str', v: 'hello world' }],
  ])('%j resolves like yaml.v3', (input, expected) => {
    const got = resolvePlain(input);
    if (got.t === 'float' && Number.isNaN(got.v)) expect(expected).toMatchObject({ t: 'float' });
    else expect(got).toEqual(expected);
  });

  it('resolves .nan to NaN', () => {
    const got = resolvePlain('.nan');
    expect(got.t === 'float' && Number.isNaN(got.v)).toBe(true);
  });

  it.each([
    'true',
    'yes',
    'No',
    'null',
    '',
    ' lead',
    'trail ',
    '123',
    '1.5',
    '2024-01-01',
    '- x',
    'a: b',
    'a #b',
    '*ref',
    '&a',
    '!tag',
    '{x}',
    '#c',
    "'q",
    'multi\nline',
    '---',
  ])('quotes %j so it reads back as a string', (s) => {
    expect(canBePlain(s)).toBe(false);
  });

  it.each([
    'hello',
    'db.internal.example',
    'tok_demo_123',
    'a-b',
    'path/to/x',
    'über',
    'age1abc',
    'a,b[c]{d}',
    "it's",
    'a:b',
    'ENC[AES256_GCM,data:x]',
  ])('writes %j plain', (s) => {
    expect(canBePlain(s)).toBe(true);
  });

  it.each([
    [1234568000, '1.234568e+09'],
    [1000000, '1e+06'],
    [123456, '123456'],
    [25.4, '25.4'],
    [1, '1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [Number.NaN, '.nan'],
    [Number.NEGATIVE_INFINITY, '-.inf'],
  ])('writes float %s as Go %%g: %s', (v, expected) => {
    expect(formatYamlFloat(v)).toBe(expected);
  });
});
