/**
 * Random SOPS plaintext documents for the property-based interop tests: a seeded
 * PRNG, a typed document model (maps, lists, typed scalars, comments), writers
 * that turn the model into YAML, JSON, dotenv, INI or binary input, and a
 * canonical form of the data that a decrypted file must show. The canonical form
 * compares numbers by value (ints as BigInt text, so int64 values above 2^53 stay
 * exact) and keeps map order and duplicate keys; comments are not data.
 *
 * This file picks the format generator for one case and lists what the case
 * exercises; the parts live in gen/: rng.ts (PRNG, text), model.ts (model,
 * canonical form), rules.ts (selection rules, case types), scalars.ts,
 * writers.ts (YAML/JSON), set-targets.ts and formats.ts (dotenv, INI, binary).
 */

import { genBinary, genDotenv, genIni } from './gen/formats.js';
import { docSeed, Rng } from './gen/rng.js';
import { type Case, type FormatName, randSelection, type Selection } from './gen/rules.js';
import { genStructured } from './gen/set-targets.js';

export const FORMAT_LIST: readonly FormatName[] = ['yaml', 'json', 'dotenv', 'ini', 'binary'];

export function generateCase(format: FormatName, runSeed: number, index: number): Case {
  const seed = docSeed(runSeed, FORMAT_LIST.indexOf(format), index);
  const rng = new Rng(seed);
  const selection: Selection =
    format === 'binary'
      ? rng.chance(0.1)
        ? randSelection(rng)
        : { rule: 'default', macOnly: false }
      : randSelection(rng);
  const c: Case = { format, index, seed, selection, plain: Buffer.alloc(0), expected: '', features: [] };
  switch (format) {
    case 'yaml':
    case 'json':
      genStructured(rng, format, c);
      break;
    case 'dotenv':
      genDotenv(rng, c);
      break;
    case 'ini':
      genIni(rng, c);
      break;
    case 'binary':
      genBinary(rng, c);
      break;
  }
  c.features = features(c);
  return c;
}

/** What a case exercises, for the coverage summary. */
function features(c: Case): string[] {
  const f = [`rule:${c.selection.rule}`];
  if (c.selection.macOnly) f.push('mac_only_encrypted');
  const text = c.plain.toString('utf8');
  if (c.format === 'binary') {
    if (!Buffer.from(text, 'utf8').equals(c.plain)) f.push('invalid-utf8');
    return f;
  }
  if (/[\u{10000}-\u{10ffff}]/u.test(text) || /\\ud[89ab]/i.test(text)) f.push('astral');
  if (text.includes('_unencrypted')) f.push('_unencrypted');
  if (c.format === 'yaml' && /^\s*#/m.test(text)) f.push('comments');
  if (c.format === 'yaml' || c.format === 'json') {
    const ex = c.expected;
    if (/\d{17,}/.test(ex)) f.push('int>2^53');
    if (/:(true|false)/.test(ex)) f.push('bool');
    if (/:null|\[null|,null/.test(ex)) f.push('null');
    if (/""/.test(ex)) f.push('empty-string');
    if (/\[\{|:\[/.test(ex)) f.push('list');
    if (/:\{"/.test(ex)) f.push('nested-map');
    if (/\d\.\d|e[-+]\d/.test(ex)) f.push('float');
    if (c.format === 'yaml' && /"\d{4}-\d\d-\d\dT/.test(ex)) f.push('timestamp');
  }
  return f;
}
