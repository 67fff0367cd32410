/**
 * Running `keyward argocd …` as Argo CD's cmp-server runs a plugin: the repository
 * unpacked in a work folder, the working directory set to the app's folder, the
 * build environment (ARGOCD_APP_*, KUBE_VERSION, KUBE_API_VERSIONS), the Application's
 * plugin env as ARGOCD_ENV_*, its parameters as ARGOCD_APP_PARAMETERS, and no stdin.
 * The sidecar's own environment holds the Vault address and an approle login made on
 * the rig's Vault, with policies that read the example apps' secrets.
 */

import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RIG_BIN } from '../rig/paths.js';
import { keyward, type Ran, REPO } from './proc.js';
import { authMount, readPolicy, vaultAddr, vaultAdmin } from './vault.js';

/** The values the example apps read from Vault (KV v2 at `secret/`). */
export const DEMO_SECRETS = {
  db: { username: 'shop', password: 'db-pass-7f3a9c' },
  api: { token: 'api-token-51e0b2' },
};

export interface Sidecar {
  /** The container environment of the plugin sidecar. */
  env: Record<string, string>;
  /** Path of the role's logins, to count them in the audit of a proxy. */
  loginPath: string;
}

/** Writes the demo secrets and an approle the sidecar logs in with; `extra` adds secrets under keyward-demo/. */
export async function demoVault(extra: Record<string, Record<string, string>> = {}): Promise<Sidecar> {
  const all: Record<string, Record<string, string>> = { ...DEMO_SECRETS, ...extra };
  for (const [name, data] of Object.entries(all)) await vaultAdmin(`secret/data/keyward-demo/${name}`, { data });
  await readPolicy('argocd-demo', ['secret/data/keyward-demo/*', 'sys/internal/ui/mounts/*']);
  const approle = await authMount('approle');
  await vaultAdmin(`${approle}/role/argocd`, { token_policies: ['argocd-demo'], token_ttl: '1h' });
  const roleId = ((await vaultAdmin(`${approle}/role/argocd/role-id`)).data as { role_id: string }).role_id;
  const secretId = ((await vaultAdmin(`${approle}/role/argocd/secret-id`, {})).data as { secret_id: string }).secret_id;
  return {
    env: {
      VAULT_ADDR: vaultAddr(),
      AVP_AUTH_TYPE: 'approle',
      AVP_ROLE_ID: roleId,
      AVP_SECRET_ID: secretId,
      AVP_MOUNT_PATH: approle,
      KEYWARD_VAULT_TOKEN_CACHE: 'off',
      // the tests change apps without changing the revision: only the cache test turns it on
      KEYWARD_TEMPLATE_CACHE: 'off',
      SOPS_AGE_KEY_FILE: join(REPO, 'examples', 'dev-age-key.txt'),
    },
    loginPath: `/v1/${approle}/login`,
  };
}

/**
 * Copies the example apps into `<dir>/_cmp_server/<random>/apps/…`, where cmp-server
 * unpacks a repository when its work folder (ARGOCD_CMP_WORKDIR) is `dir`.
 */
export function exampleRepo(dir: string): string {
  const repo = join(dir, '_cmp_server', `repo-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(repo, { recursive: true });
  cpSync(join(REPO, 'examples', 'argocd', 'apps'), join(repo, 'apps'), { recursive: true });
  return repo;
}

export interface App {
  name: string;
  /** Folder of the app inside the repository, e.g. `apps/helm`. */
  path: string;
  /** spec.source.plugin.env, passed as ARGOCD_ENV_<NAME>. */
  pluginEnv?: Record<string, string>;
  /** spec.source.plugin.parameters. */
  parameters?: object[];
  /** The Git revision Argo CD renders (default: a fixed one). */
  revision?: string;
}

/** The work folder of cmp-server that holds `repo` (made by exampleRepo). */
export const workdirOf = (repo: string): string => dirname(dirname(repo));

/** The environment cmp-server gives the plugin's commands for `app` of the checkout `repo`. */
export function cmpEnv(sidecar: Sidecar, app: App, repo: string): Record<string, string> {
  const env: Record<string, string> = {
    ARGOCD_CMP_WORKDIR: workdirOf(repo),
    ...sidecar.env,
    PATH: `${RIG_BIN}:${process.env.PATH ?? ''}`,
    ARGOCD_APP_NAME: app.name,
    ARGOCD_APP_NAMESPACE: 'shop',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: app.revision ?? '8b1f0c2d6e3a4b5c9d7e1f2a3b4c5d6e7f8a9b0c',
    ARGOCD_APP_SOURCE_PATH: app.path,
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/platform/shop.git',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    KUBE_VERSION: '1.31.4',
    KUBE_API_VERSIONS: 'v1,apps/v1,batch/v1,networking.k8s.io/v1',
  };
  for (const [name, value] of Object.entries(app.pluginEnv ?? {})) env[`ARGOCD_ENV_${name}`] = value;
  if (app.parameters) env.ARGOCD_APP_PARAMETERS = JSON.stringify(app.parameters);
  return env;
}

/** Runs `keyward argocd <step>` in the app's folder of `repo`, as cmp-server does. */
export function cmp(step: string, repo: string, sidecar: Sidecar, app: App, args: string[] = []): Promise<Ran> {
  return keyward(['argocd', step, ...args], {
    clean: true,
    cwd: join(repo, app.path),
    env: cmpEnv(sidecar, app, repo),
  });
}
