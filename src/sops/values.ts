/**
 * Plaintext forms of typed values, exactly as sops produces and parses them
 * (Go strconv / time formatting): what gets encrypted and what feeds the MAC.
 */

import { DecryptValueError } from '../errors.js';
import type { Scalar } from './tree.js';

const utf8 = new TextEncoder();

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const text = String(v);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', lead = '', frac = '', expText = '0'] = match;
  const digits = lead + frac;
  const point = 1 + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The plaintext bytes of a scalar (sops `ToBytes`); null for values that are skipped. */
export function scalarBytes(node: Scalar): Uint8Array | null {
  switch (node.t) {
    case 'str':
      return utf8.encode(node.v);
    case 'bytes':
      return node.v;
    case 'int':
      return utf8.encode(node.v.toString());
    case 'float':
      return utf8.encode(formatFloat(node.v));
    case 'bool':
      return utf8.encode(node.v ? 'True' : 'False');
    case 'time':
      return utf8.encode(node.v);
    case 'null':
      return null;
  }
}

/** The `type:` tag sops writes for a scalar. */
export function scalarType(node: Scalar): string {
  switch (node.t) {
    case 'bytes':
      return 'str';
    case 'null':
      return 'str';
    default:
      return node.t;
  }
}

const goBools = new Map<string, boolean>([
  ['1', true],
  ['t', true],
  ['T', true],
  ['TRUE', true],
  ['true', true],
  ['True', true],
  ['0', false],
  ['f', false],
  ['F', false],
  ['FALSE', false],
  ['false', false],
  ['False', false],
]);

/** Go `strconv.ParseFloat` syntax (decimal, exponent, inf/nan words, underscores not allowed). */
const goFloat = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** Parses decrypted plaintext by its `type:` tag. `where` names the location for errors. */
export function parseTyped(type: string, bytes: Uint8Array, where: string, rawStrings: boolean): Scalar | string {
  const text = () => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  switch (type) {
    case 'str':
      return rawStrings ? { t: 'bytes', v: bytes } : { t: 'str', v: text() };
    case 'bytes':
      return { t: 'bytes', v: bytes };
    case 'comment':
      return text();
    case 'int': {
      const s = text();
      if (!/^[+-]?\d+$/.test(s)) throw new DecryptValueError(`sops: ${where}: decrypted value is not an int`);
      return { t: 'int', v: BigInt(s) };
    }
    case 'float': {
      const s = text();
      if (!goFloat.test(s)) throw new DecryptValueError(`sops: ${where}: decrypted value is not a float`);
      const lower = s.toLowerCase().replace(/^\+/, '');
      if (lower.endsWith('nan')) return { t: 'float', v: Number.NaN };
      if (lower.includes('inf')) return { t: 'float', v: lower.startsWith('-') ? -Infinity : Infinity };
      return { t: 'float', v: Number(s) };
    }
    case 'bool': {
      const v = goBools.get(text());
      if (v === undefined) throw new DecryptValueError(`sops: ${where}: decrypted value is not a bool`);
      return { t: 'bool', v };
    }
    case 'time':
      return { t: 'time', v: text() };
    default:
      throw new DecryptValueError(`sops: ${where}: unknown value type ${JSON.stringify(type)}`);
  }
}
