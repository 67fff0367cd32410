/**
 * `set` targets for generated YAML and JSON documents (a leaf with a path sops
 * can address, a new value and the expected data after the set), the path and
 * value helpers the other formats share, and the YAML/JSON case generator.
 */

import { canon, type Leaf, type MapValue, modelToJ, type Value } from './model.js';
import { type Rng, randText } from './rng.js';
import type { Case, SetTarget } from './rules.js';
import { randMap, writeJson, writeYamlMap } from './writers.js';

// ---------------------------------------------------------------------------
// set targets (YAML and JSON)

export const PATH_SAFE = /^[^[\]"'\n]+$/;

interface LeafAt {
  path: (string | number)[];
  leaf: Leaf;
  replace: (v: Leaf) => void;
}

function leaves(v: Value, path: (string | number)[], out: LeafAt[]): void {
  if (v.k === 'map') {
    const counts = new Map<string, number>();
    for (const e of v.entries) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    for (const e of v.entries) {
      if (counts.get(e.key) !== 1 || !PATH_SAFE.test(e.key)) continue;
      const child = e.value;
      if (child.k === 'map' || child.k === 'list') leaves(child, [...path, e.key], out);
      else
        out.push({
          path: [...path, e.key],
          leaf: child,
          replace: (nv) => {
            e.value = nv;
          },
        });
    }
  } else if (v.k === 'list') {
    if (v.items.some((i) => i.comments.length > 0 || i.inline !== undefined)) return; // comments are list items in sops
    v.items.forEach((item, n) => {
      const child = item.value;
      if (child.k === 'map' || child.k === 'list') leaves(child, [...path, n], out);
      else
        out.push({
          path: [...path, n],
          leaf: child,
          replace: (nv) => {
            item.value = nv;
          },
        });
    });
  }
}

export function pathText(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `["${p}"]`)).join('');
}

export function randSetString(rng: Rng, punct?: string): string {
  const s = randText(rng, { max: 20, ...(punct !== undefined ? { punct } : {}) }).trim();
  return s === '' ? 'new' : s;
}

function structuredSet(rng: Rng, root: MapValue): SetTarget | undefined {
  const found: LeafAt[] = [];
  leaves(root, [], found);
  const usable = found.filter((l) => !(l.leaf.k === 'str' && /[\n\r]/.test(l.leaf.v)));
  if (usable.length === 0) return undefined;
  const target = rng.pick(usable);
  const r = rng.next();
  let json: string;
  let leaf: Leaf;
  if (r < 0.6) {
    const s = randSetString(rng);
    json = JSON.stringify(s);
    leaf = { k: 'str', v: s, src: json };
  } else if (r < 0.8) {
    const n = rng.range(-100000, 100000);
    json = String(n);
    leaf = { k: 'float', v: n, src: json }; // sops parses a JSON number given to set as float64
  } else {
    const b = target.leaf.k === 'bool' ? !target.leaf.v : rng.chance(0.5);
    json = String(b);
    leaf = { k: 'bool', v: b, src: json };
  }
  target.replace(leaf);
  const expected = canon(modelToJ(root));
  target.replace(target.leaf);
  return { path: pathText(target.path), json, expected };
}

// ---------------------------------------------------------------------------
// YAML and JSON documents

export function genStructured(rng: Rng, format: 'yaml' | 'json', c: Case): void {
  const root = randMap(rng, format, 0, rng.range(1, 8));
  c.expected = canon(modelToJ(root));
  c.set = structuredSet(rng, root);
  if (format === 'yaml') {
    const out: string[] = [];
    writeYamlMap(rng, root, 0, rng.pick([2, 4]), out);
    c.plain = Buffer.from(`${out.join('\n')}\n`, 'utf8');
  } else {
    const indent = rng.pick(['', '  ', '\t', '    ']);
    c.plain = Buffer.from(`${writeJson(root, indent, 0)}${rng.chance(0.5) ? '\n' : ''}`, 'utf8');
  }
}
