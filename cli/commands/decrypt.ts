/**
 * `keyward decrypt`: decrypts a SOPS file to stdout, to --output, or in place,
 * with sops's flags and exit codes.
 */

import { Command } from 'commander';
import { decryptBytes, extractBytes, parseTreePath } from '../../src/index.js';
import { formats, type IoFlags, inputTypeOption, outputTarget, outputTypeOption, parseIndent } from '../common.js';
import { cliContext } from '../context.js';
import { readInput, writeOutput } from '../io.js';

interface DecryptFlags extends IoFlags {
  extract?: string;
  ignoreMac?: boolean;
  decryptionOrder?: string;
}

export async function decryptAction(file: string | undefined, flags: DecryptFlags): Promise<void> {
  const target = outputTarget(file, flags);
  const extract = flags.extract === undefined ? undefined : parseTreePath(flags.extract);
  const { input: inputFormat, output: outputFormat } = formats(file, flags);
  const order = flags.decryptionOrder?.split(',').map((s) => s.trim());
  const indent = parseIndent(flags.indent);
  const ctx = cliContext({ verbose: flags.verbose ?? false });
  const result = await decryptBytes(
    await readInput(file),
    {
      inputFormat,
      outputFormat,
      ignoreMac: flags.ignoreMac ?? false,
      ...(order ? { decryptionOrder: order } : {}),
      ...(indent !== undefined ? { indent } : {}),
    },
    ctx,
  );
  const output = extract
    ? await extractBytes(result.tree, extract, outputFormat, indent !== undefined ? { indent } : {})
    : result.output;
  await writeOutput(target, output);
}

export function decryptCommand(): Command {
  return new Command('decrypt')
    .description('decrypt a SOPS file (stdin when no file is given)')
    .argument('[file]', 'encrypted file, or - for stdin')
    .option('-i, --in-place', 'write the plaintext back to the file')
    .option('--output <path>', 'write the plaintext to this file instead of stdout')
    .addOption(inputTypeOption())
    .addOption(outputTypeOption())
    .option('--extract <path>', 'print only the value at a tree path, e.g. \'["db"]["password"]\'')
    .option('--ignore-mac', 'decrypt even when the MAC does not match')
    .option(
      '--decryption-order <types>',
      'key types to try first, comma-separated (env SOPS_DECRYPTION_ORDER; default age,pgp)',
    )
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .option('--filename-override <name>', 'file name used to pick the store (useful with stdin)')
    .option('--verbose', 'print diagnostics on stderr')
    .action(async (file: string | undefined, flags: DecryptFlags) => decryptAction(file, flags));
}
