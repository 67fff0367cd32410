/**
 * `keyward decrypt`: decrypts a SOPS file to stdout, to --output, or in place,
 * with sops's flags and exit codes.
 */

import { Command, Option } from 'commander';
import { decryptBytes, formatForPath, isFormat, KeywardError } from '../../src/index.js';
import { cliContext } from '../context.js';
import { readInput, writeOutput } from '../io.js';

interface DecryptFlags {
  inPlace?: boolean;
  output?: string;
  inputType?: string;
  outputType?: string;
  ignoreMac?: boolean;
  decryptionOrder?: string;
  indent?: string;
  filenameOverride?: string;
  verbose?: boolean;
}

function parseIndent(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new KeywardError('usage', `--indent must be a non-negative integer`);
  return n;
}

export async function decryptAction(file: string | undefined, flags: DecryptFlags): Promise<void> {
  const fromStdin = file === undefined || file === '-';
  if (flags.inPlace && flags.output) throw new KeywardError('usage', 'cannot use --in-place together with --output');
  if (flags.inPlace && fromStdin) throw new KeywardError('usage', 'cannot use --in-place when reading from stdin');
  const name = flags.filenameOverride ?? (fromStdin ? undefined : file);
  const pick = (type: string | undefined) => (isFormat(type) ? type : name ? formatForPath(name) : 'yaml');
  const inputFormat = pick(flags.inputType);
  const outputFormat = isFormat(flags.outputType) ? flags.outputType : inputFormat;
  const order = (flags.decryptionOrder ?? process.env.SOPS_DECRYPTION_ORDER)?.split(',').map((s) => s.trim());
  const ctx = cliContext({ verbose: flags.verbose ?? false });

  const input = await readInput(file);
  const indent = parseIndent(flags.indent);
  const result = await decryptBytes(
    input,
    {
      inputFormat,
      outputFormat,
      ignoreMac: flags.ignoreMac ?? false,
      ...(order ? { decryptionOrder: order } : {}),
      ...(indent !== undefined ? { indent } : {}),
    },
    ctx,
  );
  await writeOutput(flags.inPlace ? file : flags.output, result.output);
}

export function decryptCommand(): Command {
  return new Command('decrypt')
    .description('decrypt a SOPS file (stdin when no file is given)')
    .argument('[file]', 'encrypted file, or - for stdin')
    .option('-i, --in-place', 'write the plaintext back to the file')
    .option('--output <path>', 'write the plaintext to this file instead of stdout')
    .addOption(
      new Option('--input-type <type>', 'input store (default: by file extension)').choices([
        'yaml',
        'json',
        'dotenv',
        'ini',
        'binary',
      ]),
    )
    .addOption(
      new Option('--output-type <type>', 'output store (default: the input store)').choices([
        'yaml',
        'json',
        'dotenv',
        'ini',
        'binary',
      ]),
    )
    .option('--ignore-mac', 'decrypt even when the MAC does not match')
    .option(
      '--decryption-order <types>',
      'comma-separated key types to try first (env SOPS_DECRYPTION_ORDER; default age,pgp)',
    )
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .option('--filename-override <name>', 'file name used to pick the store (useful with stdin)')
    .option('--verbose', 'print diagnostics on stderr')
    .action(async (file: string | undefined, flags: DecryptFlags) => decryptAction(file, flags));
}
