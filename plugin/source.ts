/**
 * The kind of an application source and the commands that template it, as Argo CD
 * runs them for its own Helm and Kustomize sources: a folder with Chart.yaml is a Helm
 * chart (`helm template` with the app's release name and namespace, the Kubernetes
 * version and API versions Argo CD passes, value files, inline values and --set
 * parameters, CRDs included); one with a kustomization file is built by `kustomize
 * build`; anything else is plain YAML/JSON. Value files must stay inside the app's
 * repository folder: no absolute paths, no `..` out of it, no URLs.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, type Context, KeywardError, type ManifestSource, type Settings } from '../src/index.js';
import type { Parameters } from './settings.js';
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

/** A value file named by the app, checked to lie inside `root` (the repository checkout). */
function valueFile(file: string, dir: string, root: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) throw new ConfigError(`argocd: value file ${file}: URLs are not allowed`);
  if (isAbsolute(file)) throw new ConfigError(`argocd: value file ${file}: absolute paths are not allowed`);
  const inside = relative(root, resolve(dir, file));
  if (inside === '..' || inside.startsWith('../') || isAbsolute(inside))
    throw new ConfigError(`argocd: value file ${file} lies outside the repository`);
  return resolve(dir, file);
}

/** The arguments of `helm template` for this app. */
export function helmArguments(dir: string, root: string, s: Settings, p: Parameters): string[] {
  const release = p.string('release-name') || s.first('ARGOCD_APP_NAME') || 'release';
  const args = ['template', release, dir];
  const namespace = s.first('ARGOCD_APP_NAMESPACE');
  if (namespace) args.push('--namespace', namespace);
  const kubeVersion = s.first('KUBE_VERSION');
  if (kubeVersion) args.push('--kube-version', kubeVersion);
  for (const api of (s.first('KUBE_API_VERSIONS') ?? '').split(','))
    if (api.trim()) args.push('--api-versions', api.trim());
  if ((p.string('include-crds') ?? 'true') !== 'false') args.push('--include-crds');
  for (const file of p.array('values-files')) args.push('--values', valueFile(file, dir, root));
  if (inlineValues(s, p) !== undefined) args.push('--values', '-');
  for (const [key, value] of p.map('helm-parameters')) args.push('--set', `${key}=${value}`);
  return args;
}

/** Inline values: the `values` parameter, else HELM_VALUES (argocd-vault-plugin's documented setting). */
export const inlineValues = (s: Settings, p: Parameters): string | undefined =>
  p.string('values') || s.first('HELM_VALUES') || undefined;

/** Runs helm or kustomize in `dir`; its stdout is the manifests, its stderr is passed on as diagnostics. */
async function tool(name: string, command: string, args: string[], ctx: Context, input?: string): Promise<string> {
  let result: Awaited<ReturnType<Context['run']>>;
  try {
    result = await ctx.run(command, args, {
      ...(input !== undefined ? { input: new TextEncoder().encode(input) } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const setting = name === 'helm' ? 'KEYWARD_HELM' : 'KEYWARD_KUSTOMIZE';
    if (code === 'ENOENT') throw new ConfigError(`argocd: ${command} is not installed (or set ${setting})`);
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
  dir: string,
  root: string,
  p: Parameters,
  ctx: Context,
): Promise<ManifestSource[]> {
  const s = ctx.settings;
  const [name, command, args, input] =
    kind === 'kustomize'
      ? ['kustomize', s.first('KEYWARD_KUSTOMIZE') ?? 'kustomize', ['build', dir], undefined]
      : ['helm', s.first('KEYWARD_HELM') ?? 'helm', helmArguments(dir, root, s, p), inlineValues(s, p)];
  const cache = templateCache(s, command, { args, input, dir, root });
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
    const chart: unknown = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8'));
    const list = typeof chart === 'object' && chart !== null && 'dependencies' in chart ? chart.dependencies : [];
    return Array.isArray(list) ? list.map((d: { name?: unknown }) => String(d?.name ?? '')) : [];
  } catch {
    return [];
  }
}

/**
 * The init step: a Helm chart whose dependencies are not all in charts/ gets
 * `helm dependency build`. Returns what it ran, or undefined when nothing was needed.
 */
export async function prepare(dir: string, ctx: Context): Promise<string | undefined> {
  if (sourceKind(dir, ctx.settings.first('KEYWARD_SOURCE_TYPE') || 'auto') !== 'helm') return undefined;
  const needed = dependencies(dir);
  if (needed.length === 0) return undefined;
  const charts = existsSync(join(dir, 'charts')) ? readdirSync(join(dir, 'charts')) : [];
  if (needed.every((name) => charts.some((entry) => entry === name || entry.startsWith(`${name}-`)))) return undefined;
  await tool('helm', ctx.settings.first('KEYWARD_HELM') ?? 'helm', ['dependency', 'build', dir], ctx);
  return 'helm dependency build';
}
