/**
 * `keyward groups add` and `keyward groups delete`: change a file's key groups
 * without touching its values or MAC. The data key stays the same; it is split
 * again into one Shamir share per group and each share re-wrapped, as sops does.
 * The result goes to stdout unless -i.
 */

import { Command } from 'commander';
import {
  ConfigError,
  currentKeySpecs,
  emitWithMetadata,
  type KeySpec,
  KeywardError,
  openEncrypted,
  rewrapKeys,
} from '../../src/index.js';
import { formats, type IoFlags, inputTypeOption, outputTarget, parseIndent } from '../common.js';
import { cliContext } from '../context.js';
import { readInput, writeOutput } from '../io.js';
import { addKeyOptions, type FlagValues, keysFromFlags } from '../key-flags.js';

interface GroupFlags extends IoFlags {
  file: string;
  shamirSecretSharingThreshold?: string;
  [flag: string]: string | boolean | string[] | undefined;
}

function thresholdFlag(flags: GroupFlags): number | undefined {
  const text = flags.shamirSecretSharingThreshold;
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new KeywardError('usage', '--shamir-secret-sharing-threshold must be a positive integer');
  }
  return n;
}

/** Opens the file, lets `change` compute the new groups and threshold, re-wraps and writes. */
async function regroup(
  flags: GroupFlags,
  change: (groups: KeySpec[][], threshold: number) => Promise<{ groups: KeySpec[][]; threshold: number }>,
): Promise<void> {
  const target = outputTarget(flags.file, flags);
  const { input } = formats(flags.file, flags);
  const ctx = cliContext({ verbose: flags.verbose ?? false });
  const bytes = await readInput(flags.file);
  const opened = await openEncrypted(bytes, input, ctx);
  const current = currentKeySpecs(opened.metadata).map((g) => [...g]);
  const { groups, threshold } = await change(current, opened.metadata.shamirThreshold);
  if (threshold > groups.length) {
    throw new ConfigError(
      `groups: a Shamir threshold of ${threshold} cannot be met with ${groups.length} key group${groups.length === 1 ? '' : 's'} (lower it with --shamir-secret-sharing-threshold)`,
    );
  }
  const metadata = await rewrapKeys(opened, groups, threshold, ctx);
  const indent = parseIndent(flags.indent);
  await writeOutput(target, await emitWithMetadata(bytes, input, metadata, indent !== undefined ? { indent } : {}));
}

export async function groupsAddAction(flags: GroupFlags): Promise<void> {
  await regroup(flags, async (groups, threshold) => {
    const added = await keysFromFlags(flags as FlagValues);
    if (added.length === 0) throw new KeywardError('usage', 'groups add: give at least one key for the new group');
    return { groups: [...groups, added], threshold: thresholdFlag(flags) ?? threshold };
  });
}

export async function groupsDeleteAction(index: string, flags: GroupFlags): Promise<void> {
  await regroup(flags, async (groups, threshold) => {
    const at = Number(index);
    if (!Number.isInteger(at) || at < 0 || at >= groups.length) {
      throw new KeywardError('usage', `groups delete: no key group ${index} (the file has ${groups.length}, from 0)`);
    }
    if (groups.length === 1) throw new KeywardError('usage', 'groups delete: cannot delete the only key group');
    return { groups: groups.filter((_, i) => i !== at), threshold: thresholdFlag(flags) ?? threshold };
  });
}

function common(command: Command): Command {
  return command
    .requiredOption('-f, --file <path>', 'the encrypted file')
    .option('-i, --in-place', 'write the result back to the file')
    .option('--output <path>', 'write the result to this file instead of stdout')
    .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt (default: unchanged)')
    .addOption(inputTypeOption())
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .option('--verbose', 'print diagnostics on stderr');
}

export function groupsCommand(): Command {
  const add = new Command('add').description('add a key group made of the given keys (the data key is re-split)');
  addKeyOptions(add, '', false, true);
  common(add).action(async (flags: GroupFlags) => groupsAddAction(flags));
  const remove = new Command('delete')
    .description('delete the key group at INDEX, counting from 0 (the data key is re-split)')
    .argument('<index>', 'the key group to delete');
  common(remove).action(async (index: string, flags: GroupFlags) => groupsDeleteAction(index, flags));
  return new Command('groups')
    .description("add or delete a file's key groups; values and MAC stay as they are")
    .addCommand(add)
    .addCommand(remove);
}
