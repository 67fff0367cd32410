/**
 * `keyward render [dir|file|-]…`: resolves the placeholders of Kubernetes manifests
 * and decrypts the SOPS files among them, writing one multi-document YAML stream to
 * stdout. Directories are read recursively (`.yaml`, `.yml`, `.json`, in name order).
 * Nothing is written unless every placeholder resolved (fail closed); an empty input
 * is an error unless --allow-empty, since an empty render would let Argo CD prune an app.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { IoError, KeywardError, type ManifestSource, renderManifests, sopsAware } from '../../src/index.js';
import { cliContext } from '../context.js';
import { readInput } from '../io.js';

interface RenderFlags {
  allowEmpty?: boolean;
  concurrency?: string;
  timeout?: string;
  verbose?: boolean;
}

const MANIFEST = /\.(ya?ml|json)$/i;

function filesIn(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesIn(path));
    else if (entry.isFile() && MANIFEST.test(entry.name)) out.push(path);
  }
  return out;
}

/** The manifests named on the command line: files, folders (recursively) and - for stdin. */
export async function sourcesOf(paths: readonly string[]): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths.length > 0 ? paths : ['-']) {
    if (path === '-') {
      sources.push({ name: '-', text: new TextDecoder().decode(await readInput(undefined)) });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new KeywardError('no-file', `render: ${path} does not exist`);
    }
    for (const file of isDir ? filesIn(path) : [path]) {
      try {
        sources.push({ name: file, text: readFileSync(file, 'utf8') });
      } catch {
        throw new IoError(`render: cannot read ${file}`);
      }
    }
  }
  return sources;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new KeywardError('usage', `${flag} must be a positive number`);
  return n;
}

export async function renderAction(paths: string[], flags: RenderFlags): Promise<void> {
  const ctx = cliContext({ verbose: flags.verbose ?? false });
  const sources = await sourcesOf(paths);
  const concurrency = positive(flags.concurrency, '--concurrency');
  const timeout = positive(flags.timeout, '--timeout');
  const { helpers, decryptSource } = sopsAware(ctx);
  const result = await renderManifests(sources, ctx, helpers, {
    decryptSource,
    ...(concurrency !== undefined ? { concurrency: Math.floor(concurrency) } : {}),
    ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
  });
  if (result.documents === 0 && !flags.allowEmpty) {
    throw new KeywardError('usage', 'render: the input holds no manifests (use --allow-empty if that is intended)');
  }
  process.stdout.write(result.yaml);
  ctx.log.debug(
    `render: ${result.documents} documents, ${result.placeholders} placeholders, ${result.reads} distinct secrets read`,
  );
}

const PLACEHOLDER_HELP = `
Placeholders:
  <vault:secret/app#key[#version]>     Vault/OpenBao (VAULT_ADDR, VAULT_TOKEN or KEYWARD_VAULT_AUTH)
  <sops:secrets.enc.yaml#db.password>  a value of a SOPS file
  <k8s:namespace/name#key>             a key of a Kubernetes Secret (KUBECONFIG, or in-cluster)
  <env:NAME>                           an environment variable
  <path:secret/data/app#key>, <key>    argocd-vault-plugin's forms (AVP_TYPE: vault or sops)
  … | base64encode | jsonPath {.a}     modifiers: base64encode, base64decode, jsonPath, jsonParse,
                                       yamlParse, indent N, sha256sum

Exit codes: 0 rendered; 1 a placeholder failed (all are listed, nothing goes to stdout) or bad
settings; 2 the input is not YAML/JSON; 8 bad options or an empty input; 100 a path does not exist.`;

export function renderCommand(): Command {
  return new Command('render')
    .description('resolve placeholders and decrypt SOPS files in Kubernetes manifests; YAML stream to stdout')
    .argument('[paths...]', 'manifest files or directories (recursively), or - for stdin (the default)')
    .option('--allow-empty', 'succeed with no output when the input holds no manifests')
    .option('--concurrency <n>', 'secret reads in flight at once (default 16)')
    .option('--timeout <seconds>', 'time one secret read may take (default 10)')
    .option('--verbose', 'print diagnostics on stderr (never secret values)')
    .addHelpText('after', PLACEHOLDER_HELP)
    .action(async (paths: string[], flags: RenderFlags) => renderAction(paths, flags));
}
