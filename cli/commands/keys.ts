/**
 * Key management on encrypted files: `rotate` (new data key, optional key
 * additions and removals) and `updatekeys` (re-wrap the data key for the keys of
 * the matching .sops.yaml rule, after showing the change and asking).
 */

import { Command } from 'commander';
import {
  ConfigError,
  type Context,
  configIndent,
  creationRuleFor,
  currentKeySpecs,
  emitWithMetadata,
  findConfig,
  type KeySpec,
  keyIdentity,
  openEncrypted,
  rewrapKeys,
  rotateOpened,
  sealOpened,
} from '../../src/index.js';
import { formats, type IoFlags, inputTypeOption, outputTarget, outputTypeOption, parseIndent } from '../common.js';
import { cliContext } from '../context.js';
import { readInput, writeAtomic, writeOutput } from '../io.js';
import { addKeyOptions, keysFromFlags } from '../key-flags.js';

interface RotateFlags extends IoFlags {
  ignoreMac?: boolean;
  [flag: string]: string | boolean | undefined;
}

export async function rotateAction(file: string | undefined, flags: RotateFlags): Promise<void> {
  const target = outputTarget(file, flags);
  const { input, output } = formats(file, flags);
  const ctx = cliContext({ verbose: flags.verbose ?? false });
  const opened = await openEncrypted(await readInput(file), input, ctx, { ignoreMac: flags.ignoreMac ?? false });
  const removed = new Set(await ids(await keysFromFlags(flags, 'rm-')));
  const groups: KeySpec[][] = [];
  for (const group of currentKeySpecs(opened.metadata)) {
    const keep = await Promise.all(group.map(async (s) => !removed.has((await keyIdentity(s)).id)));
    groups.push(group.filter((_, i) => keep[i]));
  }
  const first = groups[0] ?? [];
  const seen = new Set(await ids(first));
  for (const spec of await keysFromFlags(flags, 'add-')) {
    const { id } = await keyIdentity(spec);
    if (!seen.has(id)) first.push(spec);
    seen.add(id);
  }
  if (groups.length === 0) groups.push(first);
  const rotated = await rotateOpened(opened, groups, ctx);
  const indent = parseIndent(flags.indent);
  await writeOutput(target, await sealOpened(rotated, output, ctx, indent !== undefined ? { indent } : {}));
}

const ids = async (specs: readonly KeySpec[]) => Promise.all(specs.map(async (s) => (await keyIdentity(s)).id));

/** `group i: <key>` lines keyed by each key's identity, for the updatekeys diff. */
async function describeGroups(groups: readonly (readonly KeySpec[])[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [i, group] of groups.entries()) {
    for (const spec of group) {
      const { id, text } = await keyIdentity(spec);
      out.set(`${i}|${id}`, `group ${i}: ${text}`);
    }
  }
  return out;
}

async function confirm(question: string): Promise<boolean> {
  const rl = process
    .getBuiltinModule('node:readline/promises')
    .createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

interface UpdateFlags {
  yes?: boolean;
  inputType?: string;
  config?: string;
  shamirSecretSharingThreshold?: string;
}

async function updateOne(file: string, flags: UpdateFlags, ctx: Context): Promise<void> {
  const { input } = formats(file, flags);
  const config = await findConfig(ctx, process.cwd(), flags.config);
  const rule = config ? await creationRuleFor(config, file, process.cwd()) : undefined;
  if (!rule) throw new ConfigError(`updatekeys: no .sops.yaml creation rule matches ${file}`);
  const bytes = await readInput(file);
  const opened = await openEncrypted(bytes, input, ctx);
  const threshold = Number(flags.shamirSecretSharingThreshold ?? rule.shamirThreshold) || 0;
  const before = await describeGroups(currentKeySpecs(opened.metadata));
  const after = await describeGroups(rule.keyGroups);
  const lines = [...after].filter(([k]) => !before.has(k)).map(([, line]) => `+++ ${line}`);
  lines.push(...[...before].filter(([k]) => !after.has(k)).map(([, line]) => `--- ${line}`));
  const sameThreshold =
    (opened.metadata.keyGroups.length > 1 ? opened.metadata.shamirThreshold : 0) ===
    (rule.keyGroups.length > 1 ? threshold || rule.keyGroups.length : 0);
  if (lines.length === 0 && sameThreshold) {
    process.stderr.write(`keyward: ${file}: keys are already up to date\n`);
    return;
  }
  process.stderr.write(`The following changes will be made to the file's key groups:\n${lines.join('\n')}\n`);
  if (!flags.yes && !(await confirm('Is this okay? (y/n) '))) {
    process.stderr.write(`keyward: ${file}: changes not applied\n`);
    return;
  }
  const metadata = await rewrapKeys(opened, rule.keyGroups, threshold, ctx);
  const indent = configIndent(config, input);
  await writeAtomic(file, await emitWithMetadata(bytes, input, metadata, indent !== undefined ? { indent } : {}));
  process.stderr.write(`keyward: ${file}: key groups updated\n`);
}

export function rotateCommand(): Command {
  const command = new Command('rotate')
    .description('re-encrypt a file with a new data key, optionally adding or removing master keys')
    .argument('[file]', 'encrypted file, or - for stdin')
    .option('-i, --in-place', 'write the result back to the file')
    .option('--output <path>', 'write the result to this file instead of stdout')
    .addOption(inputTypeOption())
    .addOption(outputTypeOption());
  addKeyOptions(command, 'add-');
  addKeyOptions(command, 'rm-');
  return command
    .option('--ignore-mac', 'rotate even when the MAC does not match')
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .option('--verbose', 'print diagnostics on stderr')
    .action(async (file: string | undefined, flags: RotateFlags) => rotateAction(file, flags));
}

export function updatekeysCommand(): Command {
  return new Command('updatekeys')
    .description("re-wrap files' data keys for the keys of their .sops.yaml creation rule (values and MAC unchanged)")
    .argument('<files...>', 'encrypted files')
    .option('-y, --yes', 'apply the changes without asking')
    .addOption(inputTypeOption())
    .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt')
    .option('--config <path>', 'the .sops.yaml to use (env SOPS_CONFIG)')
    .action(async (files: string[], flags: UpdateFlags) => {
      const ctx = cliContext();
      for (const file of files) await updateOne(file, flags, ctx);
    });
}
