/**
 * The master-key flags shared by `encrypt`, `rotate` and `groups add`: one row per
 * key type with its flag, its environment fallback and its help text, plus the
 * AWS-specific `--encryption-context` and `--aws-profile` that shape `--kms` keys.
 */

import type { Command } from 'commander';
import { ConfigError, type KeySpec, keySpecFromText } from '../src/index.js';
import { commaList } from './common.js';

export interface KeyFlag {
  /** Key type id in metadata. */
  type: string;
  /** Flag name without dashes, e.g. `hc-vault-transit`. */
  flag: string;
  /** Environment variable sops reads when the flag is absent (encrypt only). */
  env: string;
  /** One-letter alias of the unprefixed flag. */
  short?: string;
  help: string;
}

export const KEY_FLAGS: readonly KeyFlag[] = [
  { type: 'kms', flag: 'kms', short: 'k', env: 'SOPS_KMS_ARN', help: 'AWS KMS key ARNs (arn or arn+rolearn)' },
  { type: 'pgp', flag: 'pgp', short: 'p', env: 'SOPS_PGP_FP', help: 'PGP fingerprints' },
  {
    type: 'gcp_kms',
    flag: 'gcp-kms',
    env: 'SOPS_GCP_KMS_IDS',
    help: 'GCP KMS keys, projects/P/locations/L/keyRings/R/cryptoKeys/K',
  },
  {
    type: 'azure_kv',
    flag: 'azure-kv',
    env: 'SOPS_AZURE_KEYVAULT_URLS',
    help: 'Azure Key Vault keys, https://<vault>/keys/<name>[/<version>]',
  },
  {
    type: 'hc_vault',
    flag: 'hc-vault-transit',
    env: 'SOPS_VAULT_URIS',
    help: 'Vault/OpenBao transit keys, https://host:port/v1/<engine>/keys/<name>',
  },
  { type: 'age', flag: 'age', short: 'a', env: 'SOPS_AGE_RECIPIENTS', help: 'age recipients' },
];

/** Flag values as commander hands them over (camel-cased names). */
export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export const camelCase = (name: string): string => name.replace(/[-_](\w)/g, (_, c: string) => c.toUpperCase());

function text(flags: FlagValues, name: string): string | undefined {
  const value = flags[camelCase(name)];
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'string' ? value : undefined;
}

/** A --kms key with --encryption-context and --aws-profile applied, as sops applies them. */
async function kmsSpec(arn: string, flags: FlagValues): Promise<KeySpec> {
  const spec = await keySpecFromText('kms', arn);
  const context: Record<string, string> = {};
  for (const pair of commaList(text(flags, 'encryption-context'))) {
    const at = pair.indexOf(':');
    if (at <= 0) throw new ConfigError(`--encryption-context: ${JSON.stringify(pair)} is not key:value`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const fields: Record<string, unknown> = { ...spec.fields, aws_profile: text(flags, 'aws-profile') ?? '' };
  if (Object.keys(context).length > 0) fields.context = context;
  return { type: 'kms', fields };
}

/**
 * The keys named by flags. `prefix` selects `--add-age` style names (rotate);
 * `useEnv` lets the SOPS_* variables stand in for absent flags (encrypt).
 */
export async function keysFromFlags(flags: FlagValues, prefix = '', useEnv = false): Promise<KeySpec[]> {
  const specs: KeySpec[] = [];
  for (const row of KEY_FLAGS) {
    const given = text(flags, `${prefix}${row.flag}`);
    for (const entry of commaList(given, useEnv ? process.env[row.env] : undefined)) {
      specs.push(row.type === 'kms' ? await kmsSpec(entry, flags) : await keySpecFromText(row.type, entry));
    }
  }
  return specs;
}

/** Adds one option per key type; with a prefix (`add-`, `rm-`) the env fallback is not mentioned. */
export function addKeyOptions(command: Command, prefix = '', withEnv = false, repeatable = false): Command {
  for (const row of KEY_FLAGS) {
    const short = prefix === '' && row.short ? `-${row.short}, ` : '';
    const env = withEnv ? ` (env ${row.env})` : '';
    const collect = (value: string, previous: string[] = []) => [...previous, value];
    const action = prefix === 'add-' ? ' to add to the first key group' : prefix === 'rm-' ? ' to remove' : '';
    const description = `${row.help}${action}, comma-separated${env}`;
    if (repeatable) command.option(`${short}--${prefix}${row.flag} <keys>`, description, collect);
    else command.option(`${short}--${prefix}${row.flag} <keys>`, description);
  }
  if (prefix !== 'rm-') {
    command.option('--encryption-context <pairs>', 'KMS encryption context for --kms keys, k1:v1,k2:v2');
    command.option('--aws-profile <name>', 'AWS profile for --kms keys');
  }
  return command;
}
