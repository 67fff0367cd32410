/**
 * What a generate run is told, as Argo CD's cmp-server tells it. Settings come from
 * three places, the later winning (argocd-vault-plugin's order, so its users keep
 * their setup): a mounted config file (YAML or JSON map of NAME: value), the
 * container's environment, and the Application's `plugin.env` entries, which Argo CD
 * passes as ARGOCD_ENV_<NAME> (the prefix is stripped; names that decide where the
 * sidecar's credentials go are the operator's alone, see OPERATOR_ONLY). Parameters come from
 * ARGOCD_APP_PARAMETERS (JSON), or from the PARAM_* variables when that is absent
 * (strings and arrays only: those variables lose a map key's case and dots).
 */

import { parse } from 'yaml';
import { ConfigError, Settings } from '../src/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The default place of the optional config file in the sidecar (a ConfigMap or Secret mount). */
export const CONFIG_FILE = '/home/argocd/cmp-server/config/keyward.yaml';

/** Reads a config file's text into settings; every value must be a scalar. */
export function configEntries(text: string, file: string): [string, string][] {
  let data: unknown;
  try {
    data = parse(text);
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

/**
 * Settings an Application may not set through its plugin env unless the operator allows
 * them (KEYWARD_PLUGIN_ENV_ALLOW, in the sidecar's env or config file): where the
 * sidecar's credentials are sent or read from, which programs run, and what Argo CD
 * itself says. Otherwise one app could, say, point VAULT_ADDR at its own server and
 * receive the sidecar's Vault login.
 */
export const OPERATOR_ONLY = [
  'VAULT_ADDR',
  'VAULT_CACERT',
  'VAULT_CAPATH',
  'VAULT_SKIP_VERIFY',
  'VAULT_CLIENT_*',
  'AVP_K8S_TOKEN_PATH',
  'KEYWARD_VAULT_*',
  'KUBECONFIG',
  'KUBERNETES_*',
  'KEYWARD_K8S_*',
  'SOPS_*',
  'KEYWARD_SOPS_*',
  'AWS_*',
  'AZURE_*',
  'GOOGLE_*',
  'KEYWARD_CONFIG_FILE',
  'KEYWARD_HELM',
  'KEYWARD_KUSTOMIZE',
  'KEYWARD_TEMPLATE_CACHE',
  'KEYWARD_ENV_ALLOW',
  'KEYWARD_PLUGIN_ENV_ALLOW',
  'ARGOCD_*',
  'KUBE_*',
  'PATH',
  'HOME',
];

const matches = (name: string, pattern: string) =>
  pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

/** The settings of a run: config file < environment < ARGOCD_ENV_* (operator-only names refused). */
export function pluginSettings(env: Env, config: readonly [string, string][] = []): Settings {
  const entries: [string, string][] = [...config];
  const prefixed: [string, string][] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith('ARGOCD_ENV_') && name.length > 11) prefixed.push([name.slice(11), value]);
    else entries.push([name, value]);
  }
  const operator = new Settings(entries);
  const allowed = (operator.first('KEYWARD_PLUGIN_ENV_ALLOW') ?? '').split(',').map((p) => p.trim());
  const refused = prefixed
    .map(([name]) => name)
    .filter((name) => OPERATOR_ONLY.some((p) => matches(name, p)) && !allowed.some((p) => p && matches(name, p)));
  if (refused.length > 0) {
    throw new ConfigError(
      `argocd: the Application sets ${refused.join(', ')}, which only the plugin's operator may set (KEYWARD_PLUGIN_ENV_ALLOW)`,
    );
  }
  return operator.with(prefixed);
}

/** The Application's plugin parameters: strings, arrays and maps by name. */
export interface Parameters {
  string(name: string): string | undefined;
  array(name: string): string[];
  map(name: string): [string, string][];
}

interface Announcement {
  name?: unknown;
  string?: unknown;
  array?: unknown;
  map?: unknown;
}

const envName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/** Parses ARGOCD_APP_PARAMETERS, or reads PARAM_<NAME> and PARAM_<NAME>_<i>. */
export function pluginParameters(env: Env): Parameters {
  const json = env.ARGOCD_APP_PARAMETERS;
  if (json !== undefined && json.trim() !== '') {
    let list: unknown;
    try {
      list = JSON.parse(json);
    } catch {
      throw new ConfigError('argocd: ARGOCD_APP_PARAMETERS is not JSON');
    }
    if (!Array.isArray(list)) throw new ConfigError('argocd: ARGOCD_APP_PARAMETERS is not a JSON list');
    const byName = new Map<string, Announcement>();
    for (const item of list as Announcement[]) if (typeof item?.name === 'string') byName.set(item.name, item);
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
    return {
      string: (name) => {
        const value = byName.get(name)?.string;
        return typeof value === 'string' ? value : undefined;
      },
      array: (name) => strings(byName.get(name)?.array),
      map: (name) => {
        const map = byName.get(name)?.map;
        if (typeof map !== 'object' || map === null) return [];
        return Object.entries(map).filter((e): e is [string, string] => typeof e[1] === 'string');
      },
    };
  }
  return {
    string: (name) => env[`PARAM_${envName(name)}`],
    array: (name) => {
      const out: string[] = [];
      for (let i = 0; env[`PARAM_${envName(name)}_${i}`] !== undefined; i++)
        out.push(env[`PARAM_${envName(name)}_${i}`] ?? '');
      return out;
    },
    // PARAM_<NAME>_<KEY> loses a map key's case and dots: maps are read from ARGOCD_APP_PARAMETERS only
    map: () => [],
  };
}
