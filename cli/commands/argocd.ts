/**
 * `keyward argocd generate|discover|init|serve`: the Argo CD config-management
 * plugin's commands (plugin/plugin.yaml runs them in the CMP sidecar, in the app's
 * folder, with Argo CD's environment and no stdin). generate prints only manifests on
 * stdout and only diagnostics, never a secret, on stderr; see plugin/generate.ts.
 * serve keeps keyward resident for plugin/keyward-cmp (plugin/server.ts).
 */

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { discover } from '../../plugin/discover.js';
import { generate } from '../../plugin/generate.js';
import { pluginParameters } from '../../plugin/parameters.js';
import { DEFAULT_ALLOW } from '../../plugin/policy.js';
import { programEnv } from '../../plugin/program-env.js';
import { renderScope } from '../../plugin/scope.js';
import { type GenerateReply, type GenerateRequest, serve } from '../../plugin/server.js';
import { APP_SETTINGS, CONFIG_FILE, configEntries, pluginLayers } from '../../plugin/settings.js';
import { prepare } from '../../plugin/source.js';
import { asKeywardError, ConfigError, KeywardError } from '../../src/index.js';
import { cliContext, stderrLogger } from '../context.js';
import { sourcesOf } from './render.js';

interface GenerateFlags {
  strict?: boolean;
  verbose?: boolean;
  configFile?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The settings file: --config-file, else KEYWARD_CONFIG_FILE, else the sidecar's default mount when present. */
function configFile(flag: string | undefined, env: Env = process.env): [string, string][] {
  const named = flag ?? env.KEYWARD_CONFIG_FILE;
  const file = named ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`argocd: cannot read the config file ${file}`);
  }
  return configEntries(text, file);
}

/**
 * Runs a plugin step; any failure is one `keyward: …` line on stderr and exit 1, the
 * plugin's one failure code (Argo CD reads only zero or not), with nothing on stdout.
 */
async function pluginStep(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    process.stderr.write(`keyward: ${asKeywardError(err).message}\n`);
    process.exitCode = 1;
  }
}

function layersOf(flags: GenerateFlags) {
  return pluginLayers(process.env, configFile(flags.configFile));
}

async function generateAction(dir: string | undefined, flags: GenerateFlags): Promise<void> {
  const layers = layersOf(flags);
  const processEnv = programEnv(process.env, layers.operator);
  const ctx = cliContext({ verbose: flags.verbose ?? false, settings: layers.operator, processEnv });
  const { kind, result, tenant } = await generate(
    {
      dir: resolve(dir ?? '.'),
      layers,
      parameters: pluginParameters(process.env),
      strict: flags.strict ?? false,
      readPlain: (folder) => sourcesOf([folder]),
    },
    ctx,
  );
  process.stdout.write(result.yaml);
  ctx.log.debug(
    `argocd: ${kind} app${tenant ? ` of tenant ${tenant}` : ''}, ${result.documents} manifests, ${result.placeholders} placeholders, ${result.reads} secrets read`,
  );
}

/** One generate for the resident server: the request's environment and folder, output and diagnostics captured. */
async function serveOne(req: GenerateRequest, serverVerbose: boolean, signal: AbortSignal): Promise<GenerateReply> {
  const lines: string[] = [];
  try {
    const unknown = req.args.filter((a) => a !== '--strict' && a !== '--verbose');
    if (unknown.length > 0) throw new KeywardError('usage', `argocd generate: unknown option ${unknown[0]}`);
    const verbose = serverVerbose || req.args.includes('--verbose');
    const layers = pluginLayers(req.env, configFile(undefined, req.env));
    const log = stderrLogger(verbose, (line) => lines.push(line));
    // the client's signal: work for a client that is gone stops (helm, Vault reads, the render)
    const processEnv = programEnv(req.env, layers.operator);
    const ctx = { ...cliContext({ settings: layers.operator, log, processEnv }), signal };
    const { result } = await generate(
      {
        dir: req.dir,
        layers,
        parameters: pluginParameters(req.env),
        strict: req.args.includes('--strict'),
        readPlain: (folder) => sourcesOf([folder]),
      },
      ctx,
    );
    return { code: 0, stdout: result.yaml, stderr: lines.join('') };
  } catch (err) {
    const failure = asKeywardError(err);
    return { code: 1, stdout: '', stderr: `${lines.join('')}keyward: ${failure.message}\n` };
  }
}

async function serveAction(flags: { dir?: string; verbose?: boolean }): Promise<void> {
  const home = flags.dir ?? process.env.KEYWARD_SERVER ?? '/tmp/keyward-server';
  const server = serve(home, (req, signal) => serveOne(req, flags.verbose ?? false, signal));
  stderrLogger(false).info(`argocd: serving generate requests from ${home}/requests`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

const HELP = `
Run by Argo CD's cmp-server in the app's folder (see plugin/plugin.yaml). The operator's settings come
from a config file (--config-file, KEYWARD_CONFIG_FILE, or ${CONFIG_FILE} when mounted), then the
container's environment. argocd-vault-plugin's settings (AVP_TYPE, AVP_AUTH_TYPE, AVP_ROLE_ID,
VAULT_ADDR, …) work unchanged.

What an Application may set (plugin env, ARGOCD_ENV_<NAME>): ${Object.keys(APP_SETTINGS).join(', ')}
(KEYWARD_STRICT only to turn strict mode on). Anything else fails the render; the operator may allow
more names with KEYWARD_PLUGIN_ENV_ALLOW.

Operator settings for many teams: KEYWARD_TENANTS (a tenancy file: projects, settings and allowed
references per tenant), or for one team KEYWARD_ALLOW (allowed references, default
${DEFAULT_ALLOW.join(',')}). SOPS_HC_VAULT_ALLOWLIST and KEYWARD_AZURE_KV_ALLOWLIST (where remote SOPS
keys may be used; default VAULT_ADDR's origin and Azure's Key Vault domains), KEYWARD_PROGRAM_ENV (more
environment names for helm, kustomize and gpg, which get only PATH, HOME, locale, proxies, TLS trust and
their own folders), KEYWARD_MAX_TEMPLATE_BYTES (most helm or kustomize output, default 268435456),
KEYWARD_MAX_DOCUMENT_BYTES
and KEYWARD_MAX_DOCUMENT_KEYS (per document, default 4194304 and 50000), ARGOCD_CMP_WORKDIR (where
cmp-server unpacks repositories, as cmp-server reads it).

Parameters (spec.source.plugin.parameters): values-files (array), values (string of YAML),
helm-parameters (map, --set), release-name (a Helm release name), include-crds ("false" to leave CRDs
out), source-type (auto, helm, kustomize, plain), strict ("true").

Exit codes: 0 manifests on stdout; 1 anything failed (nothing on stdout): a refused setting or
reference, a placeholder, helm or kustomize, an empty render, a document that is not a Kubernetes
object, or in strict mode a secret where Argo CD shows it unmasked.`;

export function argocdCommand(): Command {
  const command = new Command('argocd').description(
    'Argo CD config-management plugin: generate, discover, init, serve',
  );
  command
    .command('generate')
    .description("render an Argo CD app's manifests (Helm, Kustomize or plain) with its secrets resolved")
    .argument('[dir]', "the app's source folder (default: the working directory)")
    .option('--strict', 'a secret outside a Secret (shown unmasked by Argo CD) is an error, not a warning')
    .option('--config-file <file>', 'settings file (YAML or JSON map of NAME: value)')
    .option('--verbose', 'print diagnostics on stderr (never secret values)')
    .addHelpText('after', HELP)
    .action(async (dir: string | undefined, flags: GenerateFlags) => pluginStep(() => generateAction(dir, flags)));
  command
    .command('serve')
    .description('stay resident in the plugin sidecar and answer keyward-cmp (no Node.js start per app)')
    .option('--dir <path>', 'folder of its requests FIFO (default: KEYWARD_SERVER or /tmp/keyward-server)')
    .option('--verbose', 'print diagnostics in every reply (never secret values)')
    .action(async (flags: { dir?: string; verbose?: boolean }) => serveAction(flags));
  command
    .command('discover')
    .description("print the first file that marks the app as keyward's (plugin.yaml discover.find.command)")
    .argument('[dir]', "the app's source folder (default: the working directory)")
    .action((dir: string | undefined) => {
      const found = discover(resolve(dir ?? '.'));
      if (found) process.stdout.write(`${found}\n`);
    });
  command
    .command('init')
    .description('prepare the app before generate: helm dependency build when a chart needs it')
    .argument('[dir]', "the app's source folder (default: the working directory)")
    .option('--verbose', 'print diagnostics on stderr')
    .action(async (dir: string | undefined, flags: GenerateFlags) =>
      pluginStep(async () => {
        const layers = layersOf(flags);
        const scope = renderScope(resolve(dir ?? '.'), layers);
        const processEnv = programEnv(process.env, layers.operator);
        const ctx = cliContext({ verbose: flags.verbose ?? false, settings: scope.settings, processEnv });
        const ran = await prepare(scope.checkout, ctx);
        if (ran) ctx.log.debug(`argocd: ran ${ran}`);
      }),
    );
  return command;
}
