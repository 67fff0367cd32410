/**
 * What a generate run is told, as Argo CD's cmp-server tells it. Settings come from
 * three places, the later winning (argocd-vault-plugin's order, so its users keep
 * their setup): a mounted config file (YAML or JSON map of NAME: value), the
 * container's environment, and the Application's `plugin.env` entries, which Argo CD
 * passes as ARGOCD_ENV_<NAME> (the prefix is stripped). Parameters come from
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

/** The settings of a run: config file < environment < ARGOCD_ENV_*. */
export function pluginSettings(env: Env, config: readonly [string, string][] = []): Settings {
  const entries: [string, string][] = [...config];
  const prefixed: [string, string][] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith('ARGOCD_ENV_') && name.length > 11) prefixed.push([name.slice(11), value]);
    entries.push([name, value]);
  }
  return new Settings([...entries, ...prefixed]);
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
