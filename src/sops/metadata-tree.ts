/**
 * Writing metadata: the `sops` block as an ordered tree in sops 3.13's layout —
 * keys sorted alphabetically at every level, empty key lists and unset options
 * left out, one key group written flat, several as `key_groups`.
 */

import type { KeyEntry, Metadata } from './metadata.js';
import type { MapEntry, MapNode, Node } from './tree.js';

function plainToNode(value: unknown): Node {
  if (value === null || value === undefined) return { t: 'null' };
  if (typeof value === 'string') return { t: 'str', v: value };
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  if (typeof value === 'bigint') return { t: 'int', v: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { t: 'int', v: BigInt(value) } : { t: 'float', v: value };
  if (Array.isArray(value)) return { t: 'seq', items: value.map(plainToNode) };
  return sortedMap(Object.entries(value as Record<string, unknown>));
}

function sortedMap(entries: [string, unknown][]): MapNode {
  const items: MapEntry[] = entries
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, v]) => ({ key, value: plainToNode(v) }));
  return { t: 'map', items };
}

function entryMap(entry: KeyEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry.fields, enc: entry.enc };
  if (entry.createdAt !== undefined) out.created_at = entry.createdAt;
  return out;
}

function groupLists(group: readonly KeyEntry[], alwaysPresent: readonly string[]): Record<string, unknown> {
  const lists: Record<string, unknown[]> = {};
  for (const type of alwaysPresent) lists[type] = [];
  for (const entry of group) {
    const list = lists[entry.type] ?? [];
    list.push(entryMap(entry));
    lists[entry.type] = list;
  }
  return lists;
}

/** The metadata as plain data in sops 3.13's shape (before sorting). */
export function metadataPlain(meta: Metadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const [only] = meta.keyGroups;
  if (meta.keyGroups.length === 1 && only) Object.assign(out, groupLists(only, []));
  else out.key_groups = meta.keyGroups.map((g) => groupLists(g, ['age', 'hc_vault']));
  out.lastmodified = meta.lastModified;
  if (meta.mac !== undefined) out.mac = meta.mac;
  if (meta.macOnlyEncrypted) out.mac_only_encrypted = true;
  if (meta.shamirThreshold > 0) out.shamir_threshold = meta.shamirThreshold;
  if (meta.selection) out[meta.selection.field] = meta.selection.value;
  out.version = meta.version;
  return out;
}

/** The metadata tree that stores write, keys sorted at every level. */
export function metadataTree(meta: Metadata): MapNode {
  return sortedMap(Object.entries(metadataPlain(meta)));
}
