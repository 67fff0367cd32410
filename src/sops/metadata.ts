/**
 * The `sops` metadata block: reading it from its plain form (after a store has
 * unflattened it), validating it as sops does, and the RFC3339 rules for its dates.
 */

import { MetadataError } from '../errors.js';
import { SELECTION_FIELDS, type Selection, type SelectionField, selectionFrom } from './selection.js';

/** One master key entry of a key group: its type id, identity fields, wrapped part. */
export interface KeyEntry {
  type: string;
  fields: Record<string, unknown>;
  enc: string;
  createdAt?: string;
}

export interface Metadata {
  keyGroups: KeyEntry[][];
  shamirThreshold: number;
  lastModified: string;
  mac: string | undefined;
  selection: Selection;
  macOnlyEncrypted: boolean;
  version: string;
}

/** Key lists in the order sops appends them to a group when reading. */
export const KEY_LISTS = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp', 'age'] as const;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses RFC3339 and formats it again as Go's `time.RFC3339` does (no fraction, `Z` for offset 0). */
export function normalizeRfc3339(text: string, what: string): string {
  const m = RFC3339.exec(text.trim());
  if (!m) throw new MetadataError(`sops metadata: ${what} is not an RFC3339 time`);
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '', , zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new MetadataError(`sops metadata: ${what} is out of range`);
  }
  const offset = zone.toUpperCase() === 'Z' || zone.slice(1) === '00:00' ? 'Z' : zone;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`;
}

/** `time.Now().UTC()` formatted as Go's RFC3339: what sops writes for lastmodified and created_at. */
export function rfc3339Now(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Strings Go's strconv.ParseBool reads as true (flattened metadata stores booleans as text). */
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

const SEMVER = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function asString(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw new MetadataError(`sops metadata: ${what} must be a string`);
}

function readEntries(group: Record<string, unknown>, where: string): KeyEntry[] {
  const entries: KeyEntry[] = [];
  for (const type of KEY_LISTS) {
    const list = group[type];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new MetadataError(`sops metadata: ${where}${type} must be a list`);
    list.forEach((raw: unknown, i) => {
      const at = `${where}${type}[${i}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new MetadataError(`sops metadata: ${at} must be a map`);
      }
      const { enc, created_at, ...fields } = raw as Record<string, unknown>;
      const entry: KeyEntry = { type, fields, enc: asString(enc ?? '', `${at}.enc`) };
      if (created_at !== undefined && created_at !== null && created_at !== '') {
        entry.createdAt = normalizeRfc3339(asString(created_at, `${at}.created_at`), `${at}.created_at`);
      }
      entries.push(entry);
    });
  }
  return entries;
}

/** Builds Metadata from the plain `sops` map, with sops's defaults and checks. */
export function readMetadata(raw: unknown): Metadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MetadataError('sops metadata not found');
  }
  const m = raw as Record<string, unknown>;
  let keyGroups: KeyEntry[][] = [];
  const top = readEntries(m, '');
  if (top.length > 0) keyGroups = [top];
  else if (Array.isArray(m.key_groups)) {
    keyGroups = m.key_groups.map((g: unknown, i) => {
      if (typeof g !== 'object' || g === null) throw new MetadataError(`sops metadata: key_groups[${i}] must be a map`);
      return readEntries(g as Record<string, unknown>, `key_groups[${i}].`);
    });
  }
  if (keyGroups.length === 0) throw new MetadataError('sops metadata: no keys found in file');

  if (m.lastmodified === undefined) throw new MetadataError('sops metadata: lastmodified is missing');
  const lastModified = normalizeRfc3339(asString(m.lastmodified, 'lastmodified'), 'lastmodified');
  const version = asString(m.version ?? '', 'version');
  if (!SEMVER.test(version) && !version.startsWith('1.')) {
    throw new MetadataError(`sops metadata: version ${JSON.stringify(version)} is not a valid semver`);
  }
  const selectionFields: Partial<Record<SelectionField, string>> = {};
  for (const f of SELECTION_FIELDS) if (m[f] !== undefined && m[f] !== null) selectionFields[f] = asString(m[f], f);
  const rawThreshold = m.shamir_threshold ?? 0;
  if (typeof rawThreshold === 'string' && !/^[+]?\d+$/.test(rawThreshold)) {
    throw new MetadataError('sops metadata: bad shamir_threshold');
  }
  const threshold = Number(rawThreshold);
  if (!Number.isInteger(threshold) || threshold < 0) throw new MetadataError('sops metadata: bad shamir_threshold');
  const mac = m.mac === undefined || m.mac === null || m.mac === '' ? undefined : asString(m.mac, 'mac');
  return {
    keyGroups,
    shamirThreshold: threshold,
    lastModified,
    mac,
    selection: selectionFrom(selectionFields, 'sops metadata'),
    macOnlyEncrypted: m.mac_only_encrypted === true || TRUE_WORDS.has(String(m.mac_only_encrypted)),
    version,
  };
}
