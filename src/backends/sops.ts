/**
 * `sops` backend: `<sops:path/to/secrets.enc.yaml#db.password>` reads a value of a
 * SOPS-encrypted file through the core (any store, any master key the environment
 * can use). The resolver reads each file once per render and picks the key (a
 * top-level key, or a dotted path into nested maps). KEYWARD_SOPS_BASE_DIR
 * (default: the working directory) anchors relative paths; KEYWARD_SOPS_ROOT, when
 * set, refuses files outside that folder once symlinks are resolved (the Argo CD
 * plugin sets it to the repository, so a manifest cannot point at files of the sidecar).
 */

import { isAbsolute, relative, resolve } from 'node:path';
import { BackendError, ConfigError } from '../errors.js';
import type { Settings } from '../settings.js';
import type { BackendHelpers, BackendInstance, BackendType, Context, SettingSpec } from '../types.js';

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

  create(config: SopsConfig, ctx: Context, helpers: BackendHelpers): BackendInstance {
    return {
      async read(path: string): Promise<unknown> {
        const base = config.baseDir?.replace(/\/+$/, '');
        const file = base && !path.startsWith('/') ? `${base}/${path}` : path;
        return helpers.decryptFile(config.root ? await confined(file, path, config.root, ctx) : file);
      },
    };
  },
};

const outside = (root: string, path: string): boolean => {
  const inside = relative(root, path);
  return inside === '..' || inside.startsWith('../') || isAbsolute(inside);
};

/**
 * The real path of `file`, which must lie in `root` once every symlink is resolved
 * (a lexical check would let `link -> /` through); the file is then opened by that
 * real path. Without a way to resolve paths, only a lexical check is possible.
 */
async function confined(file: string, written: string, root: string, ctx: Context): Promise<string> {
  const refuse = () => new ConfigError(`sops: ${written} lies outside ${root} (KEYWARD_SOPS_ROOT)`);
  if (!ctx.realPath) {
    if (outside(resolve(root), resolve(file))) throw refuse();
    return file;
  }
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([ctx.realPath(file), ctx.realPath(root)]);
  } catch {
    throw new BackendError(`sops: cannot read ${written}`);
  }
  if (outside(realRoot, real)) throw refuse();
  return real;
}
