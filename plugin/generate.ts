/**
 * The plugin's generate step: template the app (Helm, Kustomize or plain files), then
 * decrypt its SOPS documents and resolve its placeholders through the core, exactly
 * as `keyward render` does. It fails closed: any failure, and an app that renders to
 * nothing (Argo CD would prune it), is an error and nothing is printed. A secret that
 * lands in a manifest other than a Secret is reported, since Argo CD masks only
 * Secrets; with strict mode (--strict, KEYWARD_STRICT or the `strict` parameter) that
 * is an error too.
 */

import { resolve } from 'node:path';
import {
  ConfigError,
  type Context,
  type Exposure,
  isYes,
  KeywardError,
  type ManifestSource,
  type RenderResult,
  renderManifests,
  Settings,
  sopsAware,
} from '../src/index.js';
import type { Parameters } from './settings.js';
import { type SourceKind, sourceKind, templated } from './source.js';

export interface GenerateOptions {
  /** The app's source folder (cmp-server's working directory). */
  dir: string;
  parameters: Parameters;
  strict?: boolean;
  /** Reads the plain YAML/JSON files of a folder (the CLI's reader, shared with `keyward render`). */
  readPlain(dir: string): Promise<ManifestSource[]>;
}

export interface Generated {
  kind: SourceKind;
  result: RenderResult;
}

/** The repository checkout: the app folder minus ARGOCD_APP_SOURCE_PATH (the app folder when unknown). */
export function repositoryRoot(dir: string, sourcePath: string | undefined): string {
  const path = (sourcePath ?? '').replace(/^\/+|\/+$/g, '');
  if (path === '' || path === '.') return dir;
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return dir;
  return resolve(dir, ...parts.map(() => '..'));
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

export async function generate(options: GenerateOptions, base: Context): Promise<Generated> {
  const root = repositoryRoot(options.dir, base.settings.first('ARGOCD_APP_SOURCE_PATH'));
  // <sops:…> files are relative to the app's folder and must lie in the repository
  const defaults: [string, string][] = [
    ['KEYWARD_SOPS_BASE_DIR', options.dir],
    ['KEYWARD_SOPS_ROOT', root],
  ];
  const s = new Settings(defaults).with(base.settings.names().map((n) => [n, base.settings.get(n) ?? '']));
  const ctx: Context = { ...base, settings: s };
  const p = options.parameters;
  const kind = sourceKind(options.dir, p.string('source-type') || s.first('KEYWARD_SOURCE_TYPE') || 'auto');
  const sources =
    kind === 'plain' ? await options.readPlain(options.dir) : await templated(kind, options.dir, root, p, ctx);
  const { helpers, decryptSource } = sopsAware(ctx);
  const timeout = Number(s.first('KEYWARD_TIMEOUT') ?? '10');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new ConfigError('argocd: KEYWARD_TIMEOUT must be seconds > 0');
  const result = await renderManifests(sources, ctx, helpers, { decryptSource, timeoutMs: timeout * 1000 });
  if (result.documents === 0) {
    throw new KeywardError(
      'generic',
      `argocd: the ${kind} app rendered no manifests; refusing to print nothing, which would let Argo CD prune it`,
    );
  }
  const lines = exposureLines(result.exposed);
  const strict = options.strict || s.flag('KEYWARD_STRICT') || isYes(p.string('strict'));
  if (lines.length > 0 && strict) {
    throw new ConfigError(
      `argocd: secrets outside Secrets, which Argo CD shows unmasked (strict mode):\n  ${lines.join('\n  ')}`,
    );
  }
  for (const line of lines) ctx.log.warn(`${line}; Argo CD shows it unmasked (only Secrets are masked)`);
  return { kind, result };
}
