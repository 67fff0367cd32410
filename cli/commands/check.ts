/**
 * `keyward check [paths…]`: a Git guard for pre-commit hooks and CI. It reads the
 * given files and folders (default: the working directory; `.git` and
 * `node_modules` skipped) and reports what must not be committed as it is — see
 * src/manifests/check.ts for the rules. Text report or `--output json`; exit 1 when
 * there are findings, 0 when there are none. Never prints a secret value.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  type CheckSource,
  checkPlaceholders,
  checkSource,
  decryptBytes,
  type Finding,
  findConfig,
  formatForPath,
  isSopsFile,
  KeywardError,
  namedByPathRule,
  sopsAware,
} from '../../src/index.js';
import { cliContext } from '../context.js';

interface CheckFlags {
  resolve?: boolean;
  output?: 'text' | 'json';
  allow?: string[];
  config?: string;
  verbose?: boolean;
}

const SKIP = new Set(['.git', 'node_modules']);

function filesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => !SKIP.has(e.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? filesIn(join(path, e.name)) : e.isFile() ? [join(path, e.name)] : []));
}

function textOf(file: string): string | undefined {
  const bytes = readFileSync(file);
  return bytes.includes(0) ? undefined : bytes.toString('utf8');
}

export async function checkAction(paths: string[], flags: CheckFlags): Promise<void> {
  const ctx = cliContext({ verbose: flags.verbose ?? false });
  const config = await findConfig(ctx, process.cwd(), flags.config);
  const sources: CheckSource[] = [];
  for (const path of paths.length > 0 ? paths : ['.']) {
    let files: string[];
    try {
      files = filesIn(path);
    } catch {
      throw new KeywardError('no-file', `check: ${path} does not exist`);
    }
    for (const file of files) {
      const text = textOf(file);
      if (text === undefined) continue;
      const mustBeEncrypted = config !== undefined && namedByPathRule(config, file, process.cwd());
      sources.push({ name: file, text, mustBeEncrypted });
    }
  }
  const verifyMac = async (source: CheckSource) => {
    await decryptBytes(new TextEncoder().encode(source.text), { inputFormat: formatForPath(source.name) }, ctx);
  };
  const findings: Finding[] = [];
  for (const source of sources)
    findings.push(...(await checkSource(source, { allow: flags.allow ?? [], verifyMac }, ctx)));
  const plain = sources.filter((s) => !isSopsFile(s.text));
  findings.push(...(await checkPlaceholders(plain, flags.resolve ?? false, ctx, sopsAware(ctx).helpers)));
  if (flags.output === 'json') {
    process.stdout.write(`${JSON.stringify({ files: sources.length, findings }, null, 2)}\n`);
  } else {
    for (const f of findings)
      process.stdout.write(`${f.file}${f.where ? ` (${f.where})` : ''}: ${f.rule}: ${f.message}\n`);
    const summary =
      findings.length === 0 ? 'no findings' : `${findings.length} finding${findings.length === 1 ? '' : 's'}`;
    process.stderr.write(`keyward check: ${sources.length} files, ${summary}\n`);
  }
  if (findings.length > 0) process.exitCode = 1;
}

export function checkCommand(): Command {
  return new Command('check')
    .description('guard a Git change: nothing secret in plaintext, every placeholder valid (for pre-commit and CI)')
    .argument('[paths...]', 'files and folders to check (default: the working directory)')
    .option('--resolve', 'also prove that every referenced secret and key exists (reads them; prints no value)')
    .addOption(new Option('--output <format>', 'report format').choices(['text', 'json']).default('text'))
    .option(
      '--allow <secret/key>',
      'a Secret field that may hold a literal value (name/key, * wildcards; repeatable)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--config <path>', 'the .sops.yaml to use (env SOPS_CONFIG)')
    .option('--verbose', 'print diagnostics on stderr (never secret values)')
    .action(async (paths: string[], flags: CheckFlags) => checkAction(paths, flags));
}
