/**
 * The Application's plugin parameters (spec.source.plugin.parameters): from
 * ARGOCD_APP_PARAMETERS (JSON), or from the PARAM_* variables when that is absent
 * (strings and arrays only: those variables lose a map key's case and dots). They are
 * the app author's input: each is validated where it is used (plugin/source.ts).
 */

import { ConfigError } from '../src/index.js';

type Env = Readonly<Record<string, string | undefined>>;

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
