/**
 * The seven modifiers of argocd-vault-plugin, applied left to right after a
 * placeholder's value is read: base64encode, base64decode, jsonPath, jsonParse,
 * yamlParse, indent N, sha256sum. They behave as AVP's do, with one deliberate
 * difference: base64decode of text that is not base64 is an error (AVP hands on
 * whatever part decoded), so a broken value fails the render instead of shipping.
 * Errors name the modifier and the kind of input, never the value.
 */

import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { PlaceholderSyntaxError } from '../errors.js';
import type { ModifierCall } from './grammar.js';
import { jsonPath } from './jsonpath-template.js';

type Modifier = (input: unknown, argument: string) => unknown;

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);

function text(name: string, input: unknown): string {
  if (typeof input !== 'string') throw new PlaceholderSyntaxError(`${name}: expects text, got a ${kind(input)}`);
  return input;
}

function noArgument(name: string, argument: string): void {
  if (argument !== '') throw new PlaceholderSyntaxError(`${name}: takes no arguments`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** AVP's indent: the first line trimmed, every later non-empty line trimmed and indented by `n` spaces. */
function indent(value: string, n: number): string {
  const lines = value.split('\n');
  let out = (lines[0] ?? '').trim();
  if (lines.length > 1) out += '\n';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length === 0) continue;
    out += ' '.repeat(n) + line.trim();
    if (i < lines.length - 1) out += '\n';
  }
  return out;
}

export const MODIFIERS: Readonly<Record<string, Modifier>> = {
  base64encode: (input, argument) => {
    noArgument('base64encode', argument);
    return Buffer.from(text('base64encode', input), 'utf8').toString('base64');
  },
  base64decode: (input, argument) => {
    noArgument('base64decode', argument);
    const value = text('base64decode', input).trim();
    if (!BASE64.test(value)) throw new PlaceholderSyntaxError('base64decode: the value is not base64');
    return Buffer.from(value, 'base64').toString('utf8');
  },
  jsonPath: (input, argument) => {
    if (argument === '') throw new PlaceholderSyntaxError('jsonPath: needs an expression, e.g. {.key}');
    let data = input;
    if (typeof input === 'string') {
      try {
        data = JSON.parse(input) as unknown;
      } catch {
        throw new PlaceholderSyntaxError('jsonPath: the value is not JSON');
      }
    }
    return jsonPath(argument, data);
  },
  jsonParse: (input, argument) => {
    noArgument('jsonParse', argument);
    try {
      return JSON.parse(text('jsonParse', input)) as unknown;
    } catch (err) {
      if (err instanceof PlaceholderSyntaxError) throw err;
      throw new PlaceholderSyntaxError('jsonParse: the value is not JSON');
    }
  },
  yamlParse: (input, argument) => {
    noArgument('yamlParse', argument);
    try {
      // the library would log a warning quoting the text, a secret here
      return parseYaml(text('yamlParse', input), { logLevel: 'error' }) as unknown;
    } catch (err) {
      if (err instanceof PlaceholderSyntaxError) throw err;
      throw new PlaceholderSyntaxError('yamlParse: the value is not YAML');
    }
  },
  indent: (input, argument) => {
    if (!/^\d+$/.test(argument)) throw new PlaceholderSyntaxError('indent: needs one whole number of spaces');
    return indent(text('indent', input), Number(argument));
  },
  sha256sum: (input, argument) => {
    noArgument('sha256sum', argument);
    return createHash('sha256').update(text('sha256sum', input), 'utf8').digest('hex');
  },
};

/** Checks that every modifier exists (at parse time, before any secret is read). */
export function checkModifiers(calls: readonly ModifierCall[], where: string): void {
  for (const call of calls) {
    if (!(call.name in MODIFIERS)) throw new PlaceholderSyntaxError(`${where}: invalid modifier ${call.name}`);
  }
}

/** Applies the modifiers in order. */
export function applyModifiers(value: unknown, calls: readonly ModifierCall[]): unknown {
  let v = value;
  for (const call of calls) {
    const modifier = MODIFIERS[call.name];
    if (!modifier) throw new PlaceholderSyntaxError(`invalid modifier ${call.name}`);
    v = modifier(v, call.argument);
  }
  return v;
}
