/**
 * `keyward encrypt`: encrypts a plaintext file for the keys given by flags or by
 * the matching `.sops.yaml` creation rule, with sops's flags and exit codes.
 */

import { Command, Option } from 'commander';
import {
  ConfigError,
  type Context,
  configIndent,
  creationRuleFor,
  encryptBytes,
  findConfig,
  type KeySpec,
  KeywardError,
  keySpecFromText,
  SELECTION_FIELDS,
  type Selection,
} from '../../src/index.js';
import {
  commaList,
  effectiveName,
  formats,
  type IoFlags,
  inputTypeOption,
  outputTarget,
  outputTypeOption,
  parseIndent,
} from '../common.js';
import { cliContext } from '../context.js';
import { readInput, writeOutput } from '../io.js';

interface EncryptFlags extends IoFlags {
  age?: string;
  pgp?: string;
  hcVaultTransit?: string;
  kms?: string;
  encryptionContext?: string;
  awsProfile?: string;
  config?: string;
  macOnlyEncrypted?: boolean;
  shamirSecretSharingThreshold?: string;
  [flag: string]: string | boolean | undefined;
}

const camel = (field: string) => field.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

function selectionFlag(flags: EncryptFlags): Selection | undefined {
  const given = SELECTION_FIELDS.filter((f) => typeof flags[camel(f)] === 'string');
  if (given.length > 1)
    throw new KeywardError(
      'usage',
      `only one of ${given.map((f) => `--${f.replaceAll('_', '-')}`).join(', ')} may be given`,
    );
  const field = given[0];
  return field ? { field, value: String(flags[camel(field)]) } : undefined;
}

/** A --kms key with the --encryption-context and --aws-profile flags applied, as sops applies them. */
async function kmsSpec(arn: string, flags: EncryptFlags): Promise<KeySpec> {
  const spec = await keySpecFromText('kms', arn);
  const context: Record<string, string> = {};
  for (const pair of commaList(flags.encryptionContext, undefined)) {
    const at = pair.indexOf(':');
    if (at <= 0) throw new ConfigError(`--encryption-context: ${JSON.stringify(pair)} is not key:value`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const fields: Record<string, unknown> = { ...spec.fields, aws_profile: flags.awsProfile ?? '' };
  if (Object.keys(context).length > 0) fields.context = context;
  return { type: 'kms', fields };
}

async function flagKeys(flags: EncryptFlags): Promise<KeySpec[]> {
  const specs: KeySpec[] = [];
  for (const recipient of commaList(flags.age, process.env.SOPS_AGE_RECIPIENTS))
    specs.push(await keySpecFromText('age', recipient));
  for (const fp of commaList(flags.pgp, process.env.SOPS_PGP_FP)) specs.push(await keySpecFromText('pgp', fp));
  for (const uri of commaList(flags.hcVaultTransit, process.env.SOPS_VAULT_URIS)) {
    specs.push(await keySpecFromText('hc_vault', uri));
  }
  for (const arn of commaList(flags.kms, process.env.SOPS_KMS_ARN)) specs.push(await kmsSpec(arn, flags));
  return specs;
}

async function ruleFor(ctx: Context, name: string | undefined, flags: EncryptFlags) {
  const config = await findConfig(ctx, process.cwd(), flags.config);
  const rule = config && name !== undefined ? await creationRuleFor(config, name, process.cwd()) : undefined;
  return { config, rule };
}

export async function encryptAction(file: string | undefined, flags: EncryptFlags): Promise<void> {
  const target = outputTarget(file, flags);
  const name = effectiveName(file, flags);
  if (name === undefined) throw new KeywardError('usage', '--filename-override is required when reading from stdin');
  const { input: inputFormat, output: outputFormat } = formats(file, flags);
  const ctx = cliContext({ verbose: flags.verbose ?? false });
  const selection = selectionFlag(flags);
  const keys = await flagKeys(flags);
  const { config, rule } = await ruleFor(ctx, name, flags);
  if (keys.length === 0 && !rule) {
    throw new ConfigError(
      'config: no keys given (--age, --pgp, --hc-vault-transit) and no .sops.yaml creation rule matches this file',
    );
  }
  const threshold = flags.shamirSecretSharingThreshold ?? undefined;
  const indent = parseIndent(flags.indent) ?? configIndent(config, outputFormat);
  const output = await encryptBytes(
    await readInput(file),
    {
      inputFormat,
      outputFormat,
      keyGroups: keys.length > 0 ? [keys] : (rule?.keyGroups ?? []),
      shamirThreshold: threshold !== undefined ? Number(threshold) : (rule?.shamirThreshold ?? 0),
      selection: selection ?? rule?.selection ?? null,
      macOnlyEncrypted: flags.macOnlyEncrypted ?? rule?.macOnlyEncrypted ?? false,
      ...(indent !== undefined ? { indent } : {}),
    },
    ctx,
  );
  await writeOutput(target, output);
}

export function encryptCommand(): Command {
  const command = new Command('encrypt')
    .description('encrypt a file for the keys given by flags or by the matching .sops.yaml creation rule')
    .argument('[file]', 'plaintext file, or - for stdin (then --filename-override is required)')
    .option('-i, --in-place', 'write the encrypted file over the plaintext one')
    .option('--output <path>', 'write the encrypted file here instead of stdout')
    .option('-a, --age <recipients>', 'age recipients, comma-separated (env SOPS_AGE_RECIPIENTS)')
    .option('-p, --pgp <fingerprints>', 'PGP fingerprints, comma-separated (env SOPS_PGP_FP)')
    .option('-k, --kms <arns>', 'AWS KMS key ARNs (arn or arn+rolearn), comma-separated (env SOPS_KMS_ARN)')
    .option('--encryption-context <pairs>', 'KMS encryption context for --kms keys, k1:v1,k2:v2')
    .option('--aws-profile <name>', 'AWS profile for --kms keys')
    .option(
      '--hc-vault-transit <uris>',
      'Vault/OpenBao transit keys, https://host:port/v1/<engine>/keys/<name>, comma-separated (env SOPS_VAULT_URIS)',
    )
    .addOption(inputTypeOption())
    .addOption(outputTypeOption());
  for (const field of SELECTION_FIELDS) {
    command.addOption(
      new Option(`--${field.replaceAll('_', '-')} <value>`, `selection rule: ${field.replaceAll('_', ' ')}`),
    );
  }
  return command
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only')
    .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt (default: all groups)')
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .option('--filename-override <name>', 'file name used for the store and the creation rule')
    .option('--config <path>', 'the .sops.yaml to use (env SOPS_CONFIG; default: nearest above the working directory)')
    .option('--verbose', 'print diagnostics on stderr')
    .action(async (file: string | undefined, flags: EncryptFlags) => encryptAction(file, flags));
}
