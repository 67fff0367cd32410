/**
 * What a generate run is told, as Argo CD's cmp-server tells it, in two layers:
 *
 * - the operator's settings: a mounted config file (YAML or JSON map of NAME: value),
 *   then the sidecar container's environment (the later wins);
 * - the Application's: its `plugin.env` entries, which Argo CD passes as
 *   ARGOCD_ENV_<NAME>. An app author writes those, so they are an allow-list
 *   (APP_SETTINGS): render options that cannot send credentials anywhere, pick an
 *   identity or run a program. Any other name fails the render, naming it; the
 *   operator may allow more (KEYWARD_PLUGIN_ENV_ALLOW), at their own risk.
 *
 * Everything else a run learns from Argo CD (ARGOCD_APP_*, KUBE_VERSION…) is in the
 * environment cmp-server sets, which an app cannot write.
 */

import { parse } from 'yaml';
import { ConfigError, isYes, Settings } from '../src/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The default place of the optional config file in the sidecar (a ConfigMap or Secret mount). */
export const CONFIG_FILE = '/home/argocd/cmp-server/config/keyward.yaml';

/** Reads a config file's text into settings; every value must be a scalar. */
export function configEntries(text: string, file: string): [string, string][] {
  let data: unknown;
  try {
    data = parse(text, { logLevel: 'error' });
  } catch {
    throw new ConfigError(`argocd: ${file} is not YAML or JSON`);
  }
  if (data === null || data === undefined) return [];
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError(`argocd: ${file} is not a map of settings`);
  return Object.entries(data).map(([name, value]) => {
    if (value === null || typeof value === 'object')
      throw new ConfigError(`argocd: ${file}: ${name} must be a string, number or boolean`);
    return [name, String(value)];
  });
}

/** The settings an Application may set, each with the values it may take. */
export const APP_SETTINGS: Readonly<Record<string, (value: string) => boolean>> = {
  // which backend AVP's <path:…> and <key> forms read; both are bound by the reference allow-list
  AVP_TYPE: (v) => ['vault', 'sops'].includes(v.trim().toLowerCase()),
  AVP_KV_VERSION: (v) => v === '1' || v === '2',
  KEYWARD_VAULT_KV_VERSION: (v) => v === '1' || v === '2',
  KEYWARD_SOURCE_TYPE: (v) => ['auto', 'helm', 'kustomize', 'plain'].includes(v),
  // argocd-vault-plugin's inline Helm values: they go to helm on stdin, never as arguments
  HELM_VALUES: () => true,
  // an app may ask for strict mode, never turn the operator's off
  KEYWARD_STRICT: (v) => isYes(v),
};

export interface PluginLayers {
  /** The operator's settings: config file < sidecar environment. */
  operator: Settings;
  /** The Application's plugin env (ARGOCD_ENV_ prefix removed), checked against the allow-list. */
  app: [string, string][];
}

const matches = (name: string, pattern: string) =>
  pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

/** Splits a run's environment into its two layers; an app setting off the allow-list is an error naming it. */
export function pluginLayers(env: Env, config: readonly [string, string][] = []): PluginLayers {
  const entries: [string, string][] = [...config];
  const app: [string, string][] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith('ARGOCD_ENV_')) {
      if (name.length > 11) app.push([name.slice(11), value]);
    } else entries.push([name, value]);
  }
  const operator = new Settings(entries);
  const extra = operator.list('KEYWARD_PLUGIN_ENV_ALLOW') ?? [];
  const refused = app
    .filter(([name]) => APP_SETTINGS[name] === undefined && !extra.some((p) => matches(name, p)))
    .map(([name]) => name);
  if (refused.length > 0) {
    throw new ConfigError(
      `argocd: the Application sets ${refused.join(', ')}, which an Application may not set ` +
        `(it may set ${Object.keys(APP_SETTINGS).join(', ')}; the operator may allow more with KEYWARD_PLUGIN_ENV_ALLOW)`,
    );
  }
  const bad = app.filter(([name, value]) => APP_SETTINGS[name] !== undefined && !APP_SETTINGS[name]?.(value));
  if (bad.length > 0) {
    const [name] = bad[0] ?? [''];
    const why = name === 'KEYWARD_STRICT' ? 'an Application may only turn strict mode on' : 'not a value it may take';
    throw new ConfigError(`argocd: the Application sets ${name} to a value it may not set (${why})`);
  }
  return { operator, app };
}
