/**
 * Recovering the data key from the key groups: each group's keys are tried in
 * decryption order until one unwraps the group's part; with several groups the
 * parts are Shamir shares combined once the threshold is met. Failures are
 * reported per group and per key, without secret material.
 */

import { ConfigError, DataKeyError, type GroupReport, KeywardError } from '../errors.js';
import { loadKeyType } from '../keys/index.js';
import type { Context } from '../types.js';
import { type KeyEntry, type Metadata, rfc3339Now } from './metadata.js';
import { combine, split } from './shamir.js';

export const DEFAULT_DECRYPTION_ORDER: readonly string[] = ['age', 'pgp'];

/** Sorts keys by the decryption order; types not listed keep their file order after the rest. */
export function orderKeys(keys: readonly KeyEntry[], order: readonly string[]): KeyEntry[] {
  const rank = (k: KeyEntry) => {
    const i = order.indexOf(k.type);
    return i === -1 ? order.length : i;
  };
  return keys
    .map((k, i) => ({ k, i }))
    .sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i)
    .map(({ k }) => k);
}

/** Why a key failed; a provider's message usually starts with the key's name, which the report shows already. */
function reason(err: unknown, name: string): string {
  if (!(err instanceof KeywardError)) return err instanceof Error ? `failed (${err.name})` : 'failed';
  return err.message.startsWith(`${name}: `) ? err.message.slice(name.length + 2) : err.message;
}

async function recoverPart(keys: readonly KeyEntry[], report: GroupReport, ctx: Context): Promise<Uint8Array | null> {
  for (const entry of keys) {
    const type = await loadKeyType(entry.type);
    if (!type) {
      report.attempts.push({ key: entry.type, reason: 'keyward does not support this key type yet' });
      continue;
    }
    let name = entry.type;
    try {
      const ref = type.parseRef(entry.fields);
      name = type.describe(ref);
      const part = await type.unwrap(ref, entry.enc, ctx);
      if (part) return part;
      report.attempts.push({ key: name, reason: 'no identity for this key is available' });
    } catch (err) {
      report.attempts.push({ key: name, reason: reason(err, name) });
    }
  }
  return null;
}

export async function recoverDataKey(
  meta: Metadata,
  ctx: Context,
  order = DEFAULT_DECRYPTION_ORDER,
): Promise<Uint8Array> {
  const reports: GroupReport[] = [];
  const parts: Uint8Array[] = [];
  for (const [group, keys] of meta.keyGroups.entries()) {
    const report: GroupReport = { group, ok: false, attempts: [] };
    reports.push(report);
    const part = await recoverPart(orderKeys(keys, order), report, ctx);
    if (part) {
      report.ok = true;
      parts.push(part);
    }
  }
  if (meta.keyGroups.length === 1) {
    const key = parts[0];
    if (key && key.length === 32) return key;
    throw new DataKeyError('failed to get the data key required to decrypt the sops file', reports);
  }
  const threshold = meta.shamirThreshold || meta.keyGroups.length;
  if (parts.length < threshold) {
    throw new DataKeyError(
      `failed to get the data key: recovered ${parts.length} of ${threshold} key group parts needed`,
      reports,
    );
  }
  const key = combine(parts);
  if (key.length !== 32) throw new DataKeyError('failed to get the data key: shares did not combine', reports);
  return key;
}

/** A master key to encrypt to: its type id and identifying metadata fields. */
export interface KeySpec {
  type: string;
  fields: Record<string, unknown>;
}

/** Resolves a CLI / `.sops.yaml` key text (e.g. an age recipient) into a KeySpec. */
export async function keySpecFromText(type: string, text: string): Promise<KeySpec> {
  const keyType = await loadKeyType(type);
  if (!keyType?.parseFlag) throw new ConfigError(`${type}: keyward does not support ${type} keys yet`);
  return { type, fields: keyType.formatRef(await keyType.parseFlag(text)) };
}

/** A field value as one word: text as is, a map (a KMS context) as `k:v,k:v`. */
const word = (value: unknown): string =>
  typeof value === 'object' && value !== null
    ? Object.entries(value)
        .map(([k, v]) => `${k}:${String(v)}`)
        .join(',')
    : String(value);

/** A key's identity (its type and fields as a file stores them) and its full text for listings (the updatekeys diff). */
export async function keyIdentity(spec: KeySpec): Promise<{ id: string; text: string }> {
  const keyType = await loadKeyType(spec.type);
  const fields = keyType ? keyType.formatRef(keyType.parseRef(spec.fields)) : spec.fields;
  const values = Object.values(fields).filter((v) => v !== '' && v !== undefined && v !== null);
  const text = [spec.type, ...values.map(word)].join(' ');
  return { id: `${spec.type}:${JSON.stringify(fields)}`, text };
}

/**
 * Wraps the data key for every key of every group: with one group each key wraps
 * the whole key; with several, group i's keys wrap Shamir share i.
 */
export async function wrapDataKey(
  groups: readonly (readonly KeySpec[])[],
  dataKey: Uint8Array,
  threshold: number,
  ctx: Context,
): Promise<KeyEntry[][]> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) {
    throw new ConfigError(
      'sops: no master keys to encrypt to (give key flags such as --age, or a .sops.yaml creation rule)',
    );
  }
  const parts = groups.length === 1 ? [dataKey] : split(dataKey, groups.length, threshold || groups.length);
  const createdAt = rfc3339Now(ctx.now());
  return Promise.all(
    groups.map(async (group, i) => {
      const part = parts[i] ?? dataKey;
      return Promise.all(
        group.map(async (spec): Promise<KeyEntry> => {
          const keyType = await loadKeyType(spec.type);
          if (!keyType) throw new ConfigError(`${spec.type}: keyward does not support ${spec.type} keys yet`);
          const ref = keyType.parseRef(spec.fields);
          const enc = await keyType.wrap(ref, part, ctx);
          const entry: KeyEntry = { type: spec.type, fields: keyType.formatRef(ref), enc };
          if (keyType.hasCreatedAt) entry.createdAt = createdAt;
          return entry;
        }),
      );
    }),
  );
}
