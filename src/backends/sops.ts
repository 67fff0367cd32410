/**
 * `sops` backend: `<sops:path/to/secrets.enc.yaml#db.password>` reads a value of a
 * SOPS-encrypted file through the core (any store, any master key the environment
 * can use). The resolver reads each file once per render and picks the key (a
 * top-level key, or a dotted path into nested maps). KEYWARD_SOPS_BASE_DIR
 * (default: the working directory) anchors relative paths.
 */

import type { Settings } from '../settings.js';
import type { BackendHelpers, BackendInstance, BackendType, SettingSpec } from '../types.js';

interface SopsConfig {
  baseDir: string | undefined;
}

const settings: readonly SettingSpec[] = [
  {
    name: 'KEYWARD_SOPS_BASE_DIR',
    required: false,
    secret: false,
    description: 'folder that relative <sops:…> paths start from (default: the working directory)',
  },
];

export const backend: BackendType<SopsConfig> = {
  scheme: 'sops',
  settings,

  configure(s: Settings): SopsConfig {
    return { baseDir: s.first('KEYWARD_SOPS_BASE_DIR') };
  },

  create(config: SopsConfig, _ctx, helpers: BackendHelpers): BackendInstance {
    return {
      read(path: string): Promise<unknown> {
        const base = config.baseDir?.replace(/\/+$/, '');
        return helpers.decryptFile(base && !path.startsWith('/') ? `${base}/${path}` : path);
      },
    };
  },
};
