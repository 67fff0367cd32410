/**
 * `memory` backend for tests and examples: secrets held in the setting
 * KEYWARD_MEMORY_SECRETS, a JSON object of paths to secrets (`{"app": {"user": "u"}}`),
 * each with optional versions under `versions` (`{"app": {"versions": {"1": {…}}}}`).
 * `<memory:app#user>` reads the latest data; `#version` picks one.
 */

import { BackendError, ConfigError } from '../errors.js';
import type { Settings } from '../settings.js';
import type { BackendInstance, BackendType, ReadOptions, SettingSpec } from '../types.js';

type Store = Record<string, unknown>;

const settings: readonly SettingSpec[] = [
  {
    name: 'KEYWARD_MEMORY_SECRETS',
    required: false,
    secret: true,
    description: 'JSON object of path → secret data, for tests and examples',
  },
];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const backend: BackendType<Store> = {
  scheme: 'memory',
  settings,

  configure(s: Settings): Store {
    const text = s.first('KEYWARD_MEMORY_SECRETS');
    if (text === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError('memory: KEYWARD_MEMORY_SECRETS is not JSON');
    }
    if (!isMap(parsed)) throw new ConfigError('memory: KEYWARD_MEMORY_SECRETS must be a JSON object');
    return parsed;
  },

  create(store: Store): BackendInstance {
    return {
      async read(path: string, options: ReadOptions): Promise<unknown> {
        const secret = store[path];
        if (secret === undefined) return undefined;
        if (options.version === undefined) {
          if (!isMap(secret) || !('versions' in secret)) return secret;
          const { versions: _, ...latest } = secret;
          return latest;
        }
        const versions = isMap(secret) ? secret.versions : undefined;
        if (!isMap(versions)) throw new BackendError(`memory: ${path} has no versions`);
        return versions[options.version];
      },
    };
  },
};
