/**
 * `.sops.yaml`: found through --config / SOPS_CONFIG or by walking up from the
 * working directory; the first creation rule whose path_regex matches the file
 * (relative to the config's folder) gives the keys, groups and selection rule;
 * `stores` gives indentation per format.
 */

import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Context } from '../types.js';
import { type KeySpec, keySpecFromText } from './data-key.js';
import { goRegex, SELECTION_FIELDS, type Selection, type SelectionField, selectionFrom } from './selection.js';
import type { Format } from './stores/index.js';
import { parseYaml } from './stores/yaml.js';
import { toPlain } from './tree.js';

export interface CreationRule {
  keyGroups: KeySpec[][];
  shamirThreshold: number;
  selection: Selection;
  macOnlyEncrypted: boolean;
}

export interface SopsConfig {
  path: string;
  raw: Record<string, unknown>;
}

/** Config key names → key type ids, for single-group rules and inside key_groups. */
const KEY_NAMES: Readonly<Record<string, string>> = {
  age: 'age',
  pgp: 'pgp',
  kms: 'kms',
  gcp_kms: 'gcp_kms',
  azure_keyvault: 'azure_kv',
  hc_vault_transit_uri: 'hc_vault',
  hc_vault: 'hc_vault',
  hckms: 'hckms',
};

async function readText(ctx: Context, path: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await ctx.readFile(path));
  } catch {
    return undefined;
  }
}

/** Loads the config from an explicit path, or the nearest `.sops.yaml` above `cwd`; undefined when none. */
export async function findConfig(ctx: Context, cwd: string, explicit?: string): Promise<SopsConfig | undefined> {
  const given = explicit ?? ctx.settings.first('SOPS_CONFIG');
  let path: string | undefined;
  let text: string | undefined;
  if (given) {
    path = resolve(cwd, given);
    text = await readText(ctx, path);
    if (text === undefined) throw new ConfigError(`config: cannot read ${given}`);
  } else {
    let dir = resolve(cwd);
    for (let i = 0; i < 100 && text === undefined; i++) {
      path = join(dir, '.sops.yaml');
      text = await readText(ctx, path);
      if (text === undefined && (await readText(ctx, join(dir, '.sops.yml'))) !== undefined) {
        ctx.log.warn(`config: ignoring ${join(dir, '.sops.yml')}; the file must be named .sops.yaml`);
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (text === undefined || path === undefined) return undefined;
  }
  // read as sops reads it (yaml.v3 typing, aliases expanded, duplicate keys refused); empty means no rules
  let raw: unknown = {};
  try {
    const [first] = text.trim() === '' ? [] : parseYaml(text);
    if (first !== undefined) raw = toPlain(first);
  } catch (err) {
    const notMap = err instanceof Error && err.message.includes('expected a mapping');
    throw new ConfigError(`config: ${path} ${notMap ? 'must be a mapping' : 'is not valid YAML'}`, { cause: err });
  }
  return { path, raw: raw as Record<string, unknown> };
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v.trim() : v)).filter((v) => v !== '');
  throw new ConfigError(`config: ${where} must be a list or a comma-separated string`);
}

async function specsOf(group: Record<string, unknown>, where: string, depth = 0): Promise<KeySpec[]> {
  const specs: KeySpec[] = [];
  for (const [name, type] of Object.entries(KEY_NAMES)) {
    for (const entry of list(group[name], `${where}.${name}`)) {
      if (typeof entry === 'string') specs.push(await keySpecFromText(type, entry));
      else if (typeof entry === 'object' && entry !== null) specs.push({ type, fields: { ...entry } });
      else throw new ConfigError(`config: ${where}.${name} has an entry that is neither text nor a map`);
    }
  }
  if (depth > 10) throw new ConfigError(`config: ${where}: merge nests too deeply`);
  for (const [i, merged] of list(group.merge, `${where}.merge`).entries()) {
    if (typeof merged !== 'object' || merged === null)
      throw new ConfigError(`config: ${where}.merge[${i}] must be a map`);
    specs.push(...(await specsOf(merged as Record<string, unknown>, `${where}.merge[${i}]`, depth + 1)));
  }
  const seen = new Set<string>();
  return specs.filter((s) => {
    const id = `${s.type}:${JSON.stringify(s.fields)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Whether a creation rule with a `path_regex` names `file` (for `keyward check`: such
 * a file must be committed encrypted). A rule without path_regex only picks default
 * keys and says nothing about which files are secret.
 */
export function namedByPathRule(config: SopsConfig, file: string, cwd: string): boolean {
  const rules = Array.isArray(config.raw.creation_rules) ? config.raw.creation_rules : [];
  const rel = relative(dirname(config.path), isAbsolute(file) ? file : resolve(cwd, file));
  return rules.some((rule: unknown, i) => {
    const regex = typeof rule === 'object' && rule !== null ? (rule as Record<string, unknown>).path_regex : undefined;
    return typeof regex === 'string' && goRegex(regex, `creation_rules[${i}].path_regex`).test(rel);
  });
}

/** The first creation rule matching `file`; undefined when the config has no matching rule. */
export async function creationRuleFor(
  config: SopsConfig,
  file: string,
  cwd: string,
): Promise<CreationRule | undefined> {
  const rules = list(config.raw.creation_rules, 'creation_rules');
  const absolute = isAbsolute(file) ? file : resolve(cwd, file);
  const rel = relative(dirname(config.path), absolute);
  for (const [i, rawRule] of rules.entries()) {
    if (typeof rawRule !== 'object' || rawRule === null)
      throw new ConfigError(`config: creation_rules[${i}] must be a map`);
    const rule = rawRule as Record<string, unknown>;
    const where = `creation_rules[${i}]`;
    if (typeof rule.path_regex === 'string' && !goRegex(rule.path_regex, `${where}.path_regex`).test(rel)) continue;
    const groups = Array.isArray(rule.key_groups)
      ? await Promise.all(
          rule.key_groups.map((g: unknown, j) =>
            specsOf((g ?? {}) as Record<string, unknown>, `${where}.key_groups[${j}]`),
          ),
        )
      : [await specsOf(rule, where)];
    const fields: Partial<Record<SelectionField, string>> = {};
    for (const f of SELECTION_FIELDS) if (typeof rule[f] === 'string') fields[f] = rule[f];
    return {
      keyGroups: groups,
      shamirThreshold: Number(rule.shamir_threshold ?? 0) || 0,
      selection: selectionFrom(fields, `config: ${where}`),
      macOnlyEncrypted: rule.mac_only_encrypted === true,
    };
  }
  return undefined;
}

/** The indent configured under `stores` for a format (binary files use `json_binary`). */
export function configIndent(config: SopsConfig | undefined, format: Format): number | undefined {
  const stores = config?.raw.stores;
  if (typeof stores !== 'object' || stores === null) return undefined;
  const section = (stores as Record<string, unknown>)[format === 'binary' ? 'json_binary' : format];
  const indent =
    typeof section === 'object' && section !== null ? (section as Record<string, unknown>).indent : undefined;
  return typeof indent === 'number' ? indent : undefined;
}
