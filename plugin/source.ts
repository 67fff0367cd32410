/**
 * The kind of an application source and the commands that template it, as Argo CD
 * runs them for its own Helm and Kustomize sources: a folder with Chart.yaml is a Helm
 * chart (`helm template` with the app's release name and namespace, the Kubernetes
 * version and API versions Argo CD passes, value files, inline values and --set
 * parameters, CRDs included); one with a kustomization file is built by `kustomize
 * build`; anything else is plain YAML/JSON. Parameters are the app author's: none can
 * become a flag (the release name is checked as Helm checks it, positionals follow
 * `--`), and value files must exist inside the repository checkout by their real
 * paths (no URLs).
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, type Context, KeywardError, type ManifestSource, type Settings } from '../src/index.js';
import { type Checkout, insideCheckout, scanCheckout } from './checkout.js';
import { checkChartDependencies } from './local-paths.js';
import type { Parameters } from './parameters.js';
import { templateCache } from './template-cache.js';

export type SourceKind = 'helm' | 'kustomize' | 'plain';

const KUSTOMIZATIONS = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The kind of the source in `dir`; `wanted` (auto, helm, kustomize, plain) overrides detection. */
export function sourceKind(dir: string, wanted = 'auto'): SourceKind {
  if (wanted === 'helm' || wanted === 'kustomize' || wanted === 'plain') return wanted;
  if (wanted !== 'auto')
    throw new ConfigError(`argocd: source type ${JSON.stringify(wanted)} is not auto, helm, kustomize or plain`);
  if (existsSync(join(dir, 'Chart.yaml'))) return 'helm';
  return KUSTOMIZATIONS.some((name) => existsSync(join(dir, name))) ? 'kustomize' : 'plain';
}

/**
 * A value file named by the app: its real path, inside the checkout. helm reads one
 * --values argument as a comma-separated list (quotes allowed), so a path holding `,`
 * or `"` could name a second file anywhere: such paths are refused.
 */
function valueFile(file: string, where: Checkout): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) throw new ConfigError(`argocd: value file ${file}: URLs are not allowed`);
  const real = insideCheckout(file, where.dir, where.root, `value file ${file}`);
  if (/[,"\r\n]/.test(real)) {
    throw new ConfigError(`argocd: value file ${file}: a path holding ',' or '"' is not allowed (helm would split it)`);
  }
  return real;
}

/** Helm's own rule for release names: DNS labels joined by dots, at most 53 characters. */
const RELEASE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The release name: the `release-name` parameter, else the Application's name. */
export function releaseName(s: Settings, p: Parameters): string {
  const name = p.string('release-name') || s.first('ARGOCD_APP_NAME') || 'release';
  if (name.length > 53 || !RELEASE.test(name)) {
    throw new ConfigError(
      `argocd: release name ${JSON.stringify(name.slice(0, 80))} is not a Helm release name ` +
        '(lowercase letters, digits, - and ., at most 53 characters)',
    );
  }
  return name;
}

/** The arguments of `helm template` for this app: flags first, then `--` and the positionals. */
export function helmArguments(where: Checkout, s: Settings, p: Parameters): string[] {
  const args = ['template'];
  const namespace = s.first('ARGOCD_APP_NAMESPACE');
  if (namespace) args.push('--namespace', namespace);
  const kubeVersion = s.first('KUBE_VERSION');
  if (kubeVersion) args.push('--kube-version', kubeVersion);
  for (const api of (s.first('KUBE_API_VERSIONS') ?? '').split(','))
    if (api.trim()) args.push('--api-versions', api.trim());
  if ((p.string('include-crds') ?? 'true') !== 'false') args.push('--include-crds');
  for (const file of p.array('values-files')) args.push('--values', valueFile(file, where));
  if (inlineValues(s, p) !== undefined) args.push('--values', '-');
  for (const [key, value] of p.map('helm-parameters')) args.push('--set', `${key}=${value}`);
  args.push('--', releaseName(s, p), where.dir);
  return args;
}

/** Inline values: the `values` parameter, else HELM_VALUES (argocd-vault-plugin's documented setting). */
export const inlineValues = (s: Settings, p: Parameters): string | undefined =>
  p.string('values') || s.first('HELM_VALUES') || undefined;

/** Most bytes helm or kustomize may print for one app (KEYWARD_MAX_TEMPLATE_BYTES). */
const MAX_TEMPLATE_BYTES = 256 * 1024 * 1024;

/** Runs helm or kustomize in `dir`; its stdout is the manifests, its stderr is passed on as diagnostics. */
async function tool(name: string, command: string, args: string[], ctx: Context, input?: string): Promise<string> {
  let result: Awaited<ReturnType<Context['run']>>;
  try {
    result = await ctx.run(command, args, {
      maxStdout: ctx.settings.positive('KEYWARD_MAX_TEMPLATE_BYTES', MAX_TEMPLATE_BYTES),
      ...(input !== undefined ? { input: new TextEncoder().encode(input) } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const setting = name === 'helm' ? 'KEYWARD_HELM' : 'KEYWARD_KUSTOMIZE';
    if (code === 'ENOENT') throw new ConfigError(`argocd: ${command} is not installed (or set ${setting})`);
    if (code === 'EOVERFLOW') {
      throw new KeywardError('generic', `argocd: ${name} printed more than KEYWARD_MAX_TEMPLATE_BYTES bytes; stopped`);
    }
    throw new KeywardError('generic', `argocd: ${name} could not run (${code || 'error'})`);
  }
  if (result.code !== 0) {
    const detail = result.stderr.trim().split('\n').slice(-5).join('\n  ');
    throw new KeywardError(
      'generic',
      `argocd: ${name} failed with exit ${result.code}${detail ? `:\n  ${detail}` : ''}`,
    );
  }
  return new TextDecoder().decode(result.stdout);
}

/**
 * Helm's output cut into one source per template (its `# Source: chart/templates/x.yaml`
 * lines), so a failure names the template; other output is one source named `name`.
 */
export function bySource(text: string, name: string): ManifestSource[] {
  const sources: ManifestSource[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const source = /^# Source: (.+)$/m.exec(chunk)?.[1]?.trim();
    const label = source ? `${name} ${source}` : name;
    const last = sources[sources.length - 1];
    if (last && last.name === label) last.text += `---${chunk}`;
    else sources.push({ name: label, text: chunk });
  }
  return sources.filter((source) => source.text.trim() !== '');
}

/** The manifests of a Helm or Kustomize source in `dir`, from the template cache when it has them. */
export async function templated(
  kind: 'helm' | 'kustomize',
  where: Checkout,
  p: Parameters,
  ctx: Context,
): Promise<ManifestSource[]> {
  const s = ctx.settings;
  const [name, command, args, input] =
    kind === 'kustomize'
      ? ['kustomize', s.first('KEYWARD_KUSTOMIZE') ?? 'kustomize', ['build', '--', where.dir], undefined]
      : ['helm', s.first('KEYWARD_HELM') ?? 'helm', helmArguments(where, s, p), inlineValues(s, p)];
  const cache = templateCache(s, command, { args, input, dir: where.dir, root: where.root });
  let text = cache?.get();
  if (text !== undefined) ctx.log.debug(`argocd: ${name} output from the template cache`);
  else {
    text = await tool(name, command, args, ctx, input);
    cache?.put(text);
  }
  return kind === 'helm' ? bySource(text, 'helm:') : [{ name: 'kustomize build', text }];
}
/** The dependencies Chart.yaml names, or [] when it names none (or cannot be read). */
function dependencies(dir: string): string[] {
  try {
    const chart: unknown = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8'), { logLevel: 'error' });
    const list = typeof chart === 'object' && chart !== null && 'dependencies' in chart ? chart.dependencies : [];
    return Array.isArray(list) ? list.map((d: { name?: unknown }) => String(d?.name ?? '')) : [];
  } catch {
    return [];
  }
}

/**
 * The init step: a Helm chart whose dependencies are not all in charts/ gets
 * `helm dependency build`, once its `file://` dependencies are known to lie in the
 * repository. Returns what it ran, or undefined when nothing was needed.
 */
export async function prepare(where: Checkout, ctx: Context): Promise<string | undefined> {
  const dir = where.dir;
  if (sourceKind(dir, ctx.settings.first('KEYWARD_SOURCE_TYPE') || 'auto') !== 'helm') return undefined;
  const needed = dependencies(dir);
  if (needed.length === 0) return undefined;
  const charts = existsSync(join(dir, 'charts')) ? readdirSync(join(dir, 'charts')) : [];
  if (needed.every((name) => charts.some((entry) => entry === name || entry.startsWith(`${name}-`)))) return undefined;
  scanCheckout(where.root);
  checkChartDependencies(dir, where.root);
  await tool('helm', ctx.settings.first('KEYWARD_HELM') ?? 'helm', ['dependency', 'build', '--', dir], ctx);
  return 'helm dependency build';
}
