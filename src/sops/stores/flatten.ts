/**
 * What the flat stores (dotenv, INI) share: the `sops` metadata flattened into
 * `key__map_sub__list_0…` names and back (sops 3.13 rules), and sops's
 * `ValToString` for writing non-string scalars as text.
 */

import { FormatError } from '../../errors.js';
import type { MapNode, Node, Scalar } from '../tree.js';
import { formatFloat } from '../values.js';

const MAP = '__map_';
const LIST = '__list_';

/** One flattened metadata entry. */
export interface FlatEntry {
  key: string;
  value: string;
}

/** Go `strconv.FormatFloat(v, 'G', -1, 64)`, with `.0` added when it could pass for an int. */
function formatFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  let text: string;
  const [mantissa = '0', expText = '0'] = Math.abs(v).toExponential().split('e');
  const exp = Number(expText);
  if (v !== 0 && (exp < -4 || exp >= 6)) {
    const digits = mantissa.replace('.', '');
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const sign = v < 0 ? '-' : '';
    text = `${sign}${digits[0]}${frac}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else {
    text = formatFloat(v);
  }
  return text.includes('.') || text.includes('E') ? text : `${text}.0`;
}

/** sops's `ValToString`: how dotenv and INI write a scalar that is not a string. */
export function valToString(node: Scalar): string {
  switch (node.t) {
    case 'str':
      return node.v;
    case 'bytes':
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(node.v);
    case 'int':
      return node.v.toString();
    case 'float':
      return formatFloatG(node.v);
    case 'bool':
      return node.v ? 'true' : 'false';
    case 'time':
      // Go's time.RFC3339 layout: the stored RFC3339Nano text without its fraction.
      return node.v.replace(/\.\d+(?=[Zz]$|[+-]\d\d:\d\d$)/, '');
    case 'null':
      return '<nil>';
  }
}

function descend(node: Node, key: string, out: FlatEntry[], seen: Set<string>, label: string): void {
  if (node.t === 'comment' || node.t === 'null') return;
  if (node.t === 'map') {
    for (const item of node.items) {
      if (!('t' in item)) descend(item.value, key + MAP + item.key, out, seen, label);
    }
    return;
  }
  if (node.t === 'seq') {
    let index = 0;
    for (const item of node.items) {
      if (item.t === 'comment') continue;
      descend(item, `${key}${LIST}${index}`, out, seen, label);
      index++;
    }
    return;
  }
  if (seen.has(key)) throw new FormatError(`${label}: sops metadata: two entries flatten to the same name`);
  seen.add(key);
  out.push({ key, value: valToString(node) });
}

/**
 * Flattens the metadata tree into ordered entries: depth-first in the tree's key
 * order, nested map keys joined with `__map_`, list indexes with `__list_<n>`,
 * every name prefixed with `prefix`. Empty maps and lists leave nothing.
 */
export function flattenMetadata(metadata: MapNode, prefix: string, label: string): FlatEntry[] {
  const out: FlatEntry[] = [];
  const seen = new Set<string>();
  for (const item of metadata.items) {
    if (!('t' in item)) descend(item.value, prefix + item.key, out, seen, label);
  }
  return out;
}

type Token = { list: false; key: string } | { list: true; index: number };

/** Splits a flattened name at every `__map_` / `__list_`; the first part is a map key. */
function tokenize(name: string, fail: (what: string) => never): Token[] {
  const tokens: Token[] = [];
  let state: 'map' | 'list' = 'map';
  let start = 0;
  const finish = (end: number) => {
    const text = name.slice(start, end);
    if (state === 'map') tokens.push({ list: false, key: text });
    else if (/^\d{1,9}$/.test(text)) tokens.push({ list: true, index: Number(text) });
    else fail('has a list index that is not a number');
  };
  let i = 0;
  while (i < name.length) {
    const sep = name.startsWith(MAP, i) ? MAP : name.startsWith(LIST, i) ? LIST : '';
    if (sep === '') {
      i++;
      continue;
    }
    finish(i);
    state = sep === MAP ? 'map' : 'list';
    i += sep.length;
    start = i;
  }
  finish(name.length);
  if (tokens.length > 64) fail('is nested too deeply');
  return tokens;
}

interface Slot {
  value?: string;
  keys?: Map<string, Slot>;
  indices?: Map<number, Slot>;
}

function child<K>(table: Map<K, Slot>, key: K): Slot {
  let slot = table.get(key);
  if (!slot) {
    slot = {};
    table.set(key, slot);
  }
  return slot;
}

function step(slot: Slot, token: Token): Slot {
  if (token.list) {
    slot.indices ??= new Map();
    return child(slot.indices, token.index);
  }
  slot.keys ??= new Map();
  return child(slot.keys, token.key);
}

function convert(slot: Slot, fail: (what: string) => never): unknown {
  const kinds = [slot.value !== undefined, (slot.keys?.size ?? 0) > 0, (slot.indices?.size ?? 0) > 0];
  if (kinds.filter(Boolean).length > 1) fail('mixes a value, a map and a list under one name');
  if (slot.value !== undefined) return slot.value;
  if (slot.indices && slot.indices.size > 0) {
    const size = slot.indices.size;
    const list: unknown[] = [];
    for (let i = 0; i < size; i++) {
      const item = slot.indices.get(i);
      if (!item) return fail('has a list whose indexes are not 0 to n-1');
      list.push(convert(item, fail));
    }
    return list;
  }
  const keys = [...(slot.keys?.keys() ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, convert(slot.keys?.get(key) ?? {}, fail)]));
}

/**
 * Rebuilds the plain metadata (objects with sorted keys, arrays, string values)
 * from flattened entries. Duplicates, gaps in list indexes and names used both
 * as a value, a map or a list are FormatErrors. Messages never quote the input.
 */
export function unflattenMetadata(entries: readonly FlatEntry[], label: string): Record<string, unknown> {
  const root: Slot = {};
  entries.forEach((entry, n) => {
    const fail = (what: string): never => {
      throw new FormatError(`${label}: sops metadata entry ${n + 1} ${what}`);
    };
    let slot = root;
    for (const token of tokenize(entry.key, fail)) slot = step(slot, token);
    if (slot.value !== undefined) fail('repeats a name that is already set');
    slot.value = entry.value;
  });
  const fail = (what: string): never => {
    throw new FormatError(`${label}: sops metadata ${what}`);
  };
  return convert(root, fail) as Record<string, unknown>;
}
