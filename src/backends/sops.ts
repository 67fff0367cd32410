/**
 * `sops` backend: `<sops:path/to/secrets.enc.yaml#db.password>` reads a value of a
 * SOPS-encrypted file through the core (any store, any master key the environment
 * can use). The resolver reads each file once per render and picks the key (a
 * top-level key, or a dotted path into nested maps). KEYWARD_SOPS_BASE_DIR
 * (default: the working directory) anchors relative paths; KEYWARD_SOPS_ROOT, when
 * set, refuses files outside that folder (the Argo CD plugin sets it to the
 * repository, so a manifest cannot point at files of the sidecar).
 */

import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Settings } from '../settings.js';
import type { BackendHelpers, BackendInstance, BackendType, SettingSpec } from '../types.js';

interface SopsConfig {
  baseDir: string | undefined;
  root: string | undefined;
}

const settings: readonly SettingSpec[] = [
  {
    name: 'KEYWARD_SOPS_BASE_DIR',
    required: false,
    secret: false,
    description: 'folder that relative <sops:…> paths start from (default: the working directory)',
  },
  {
    name: 'KEYWARD_SOPS_ROOT',
    required: false,
    secret: false,
    description: 'folder that <sops:…> files must lie in (default: anywhere)',
  },
];

export const backend: BackendType<SopsConfig> = {
  scheme: 'sops',
  settings,

  configure(s: Settings): SopsConfig {
    return { baseDir: s.first('KEYWARD_SOPS_BASE_DIR'), root: s.first('KEYWARD_SOPS_ROOT') };
  },

  create(config: SopsConfig, _ctx, helpers: BackendHelpers): BackendInstance {
    return {
      async read(path: string): Promise<unknown> {
        const base = config.baseDir?.replace(/\/+$/, '');
        const file = base && !path.startsWith('/') ? `${base}/${path}` : path;
        if (config.root) {
          const inside = relative(resolve(config.root), resolve(file));
          if (inside === '..' || inside.startsWith('../') || isAbsolute(inside))
            throw new ConfigError(`sops: ${path} lies outside ${config.root} (KEYWARD_SOPS_ROOT)`);
        }
        return helpers.decryptFile(file);
      },
    };
  },
};
