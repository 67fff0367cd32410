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
  KeywardError,
  SELECTION_FIELDS,
  type Selection,
} from '../../src/index.js';
import {
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
import { addKeyOptions, KEY_FLAGS, keysFromFlags } from '../key-flags.js';

interface EncryptFlags extends IoFlags {
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
  const keys = await keysFromFlags(flags, '', true);
  const { config, rule } = await ruleFor(ctx, name, flags);
  if (keys.length === 0 && !rule) {
    throw new ConfigError(
      `config: no keys given (${KEY_FLAGS.map((k) => `--${k.flag}`).join(', ')}) and no .sops.yaml creation rule matches this file`,
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
    .option('--output <path>', 'write the encrypted file here instead of stdout');
  addKeyOptions(command, '', true).addOption(inputTypeOption()).addOption(outputTypeOption());
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
