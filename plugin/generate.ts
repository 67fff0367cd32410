/**
 * The plugin's generate step: template the app (Helm, Kustomize or plain files), then
 * decrypt its SOPS documents and resolve its placeholders through the core, exactly
 * as `keyward render` does, within the scope the operator gives the app
 * (plugin/scope.ts): its tenant's identity, its allowed references, its checkout. It
 * fails closed: any failure, and an app that renders to nothing (Argo CD would prune
 * it), is an error and nothing is printed. Only Kubernetes objects are printed: a SOPS
 * file that is not one serves `<sops:…>` placeholders and is left out. A secret in a
 * place Argo CD shows unmasked (anything but a core v1 Secret's data and stringData)
 * is reported; with strict mode (--strict, KEYWARD_STRICT or the `strict`
 * parameter) that is an error too.
 */

import {
  ConfigError,
  type Context,
  type Exposure,
  isYes,
  KeywardError,
  type ManifestSource,
  type RenderResult,
  renderManifests,
  sopsAware,
} from '../src/index.js';
import { scanCheckout } from './checkout.js';
import { checkKustomizations } from './local-paths.js';
import type { Parameters } from './parameters.js';
import { renderScope } from './scope.js';
import type { PluginLayers } from './settings.js';
import { type SourceKind, sourceKind, templated } from './source.js';

export interface GenerateOptions {
  /** The app's source folder (cmp-server's working directory). */
  dir: string;
  /** The operator's settings and the Application's plugin env. */
  layers: PluginLayers;
  parameters: Parameters;
  strict?: boolean;
  /** Reads the plain YAML/JSON files of a folder (the CLI's reader, shared with `keyward render`). */
  readPlain(dir: string): Promise<ManifestSource[]>;
}

export interface Generated {
  kind: SourceKind;
  result: RenderResult;
  tenant: string | undefined;
}

/** One line per manifest that would show a secret unmasked in Argo CD. */
export function exposureLines(exposed: readonly Exposure[]): string[] {
  const byManifest = new Map<string, string[]>();
  for (const e of exposed) {
    const key = `${e.kind || 'a manifest'}${e.name ? ` ${e.name}` : ''} (${e.file}, document ${e.document})`;
    byManifest.set(key, [...(byManifest.get(key) ?? []), e.field]);
  }
  return [...byManifest].map(([where, fields]) => `${where} holds secret values in ${fields.join(', ')}`);
}

/** `base` supplies the world (files, programs, HTTP, log, signal); the settings come from the scope. */
export async function generate(options: GenerateOptions, base: Context): Promise<Generated> {
  const scope = renderScope(options.dir, options.layers);
  const s = scope.settings;
  const ctx: Context = { ...base, settings: s };
  const where = scope.checkout;
  const p = options.parameters;
  const kind = sourceKind(where.dir, p.string('source-type') || s.first('KEYWARD_SOURCE_TYPE') || 'auto');
  // helm and kustomize read beyond the app's folder: every symlink of the checkout must stay in it
  scanCheckout(where.root, kind === 'plain' ? where.dir : where.root);
  if (kind === 'kustomize') checkKustomizations(where.dir, where.root);
  const sources = kind === 'plain' ? await options.readPlain(where.dir) : await templated(kind, where, p, ctx);
  const { helpers, decryptSource } = sopsAware(ctx);
  const timeout = Number(s.first('KEYWARD_TIMEOUT') ?? '10');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new ConfigError('argocd: KEYWARD_TIMEOUT must be seconds > 0');
  const result = await renderManifests(sources, ctx, helpers, {
    decryptSource,
    timeoutMs: timeout * 1000,
    authorize: scope.authorize,
    kubernetesOnly: true,
  });
  for (const file of result.skipped)
    ctx.log.debug(`argocd: ${file} is a SOPS file without Kubernetes objects: left out`);
  if (result.documents === 0) {
    throw new KeywardError(
      'generic',
      `argocd: the ${kind} app rendered no manifests; refusing to print nothing, which would let Argo CD prune it`,
    );
  }
  const lines = exposureLines(result.exposed);
  const strict = options.strict || s.flag('KEYWARD_STRICT') || isYes(p.string('strict'));
  if (lines.length > 0 && strict) {
    throw new ConfigError(`argocd: secrets where Argo CD shows them unmasked (strict mode):\n  ${lines.join('\n  ')}`);
  }
  for (const line of lines)
    ctx.log.warn(`${line}; Argo CD shows it unmasked (it masks only a v1 Secret's data and stringData)`);
  return { kind, result, tenant: scope.tenant };
}
